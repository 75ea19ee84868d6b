import { resourceProblem } from "@leash/core";
import { decodeOnce, escapesSeparator, parseQuery } from "./decode.js";
import { GatewayRefusal } from "./problem.js";

/** What the lease allows, from its gateway token. */
export interface IntentGrant {
  action: string;
  resource: string;
  methods: readonly string[];
}

/** What a request asks for, once checked: the action and the canonical (decoded) resource. */
export interface CheckedIntent {
  action: string;
  resource: string;
  /** An S3 listing (`?list-type=2&prefix=K` on the bucket). */
  listing: boolean;
}

const outside = (detail: string) => new GatewayRefusal("outside_intent", detail);

/**
 * The grammar refuses a segment of dots and spaces, which servers trim to `.` or `..`; some servers also decode
 * `+` in a path as a space (form decoding), so `..+` is such a segment there. Forwarded as sent, it is refused.
 */
const PLUS_DOTS = /^[. +]*\.[. +]*(?:[?#;]|$)/;

/**
 * The path P under `base_url`: decoded exactly once, canonical by core's resource grammar (never normalised into
 * it), then equal to the intent's resource or under it when that ends in `/`. An escaped `/` or `\` is refused
 * outright: the upstream would see a segment boundary other than the one checked.
 */
export function resourceOfPath(rawPath: string): string {
  if (escapesSeparator(rawPath)) throw outside("path: encoded_separator: no escaped '/' or '\\' in the path");
  const decoded = decodeOnce(rawPath);
  if (!decoded.ok) throw outside(`path: ${decoded.problem}: the path must percent-decode to UTF-8`);
  const resource = canonical(decoded.value, "path");
  if (resource.split("/").some((segment) => PLUS_DOTS.test(segment))) {
    throw outside("path: dot_segment: no segment of dots, spaces and '+' (a server may read '+' as a space)");
  }
  return resource;
}

function canonical(resource: string, where: string): string {
  const problem = resourceProblem(resource, "request");
  if (problem) throw outside(`${where}: ${problem.message}`);
  return resource;
}

function covers(intent: string, resource: string): boolean {
  return intent.endsWith("/") ? resource.startsWith(intent) : resource === intent;
}

/** The one value of a parameter that must not be ambiguous; undefined when absent. */
function single(params: { name: string; value: string }[], name: string): string | undefined {
  const found = params.filter((p) => p.name === name);
  if (found.length > 1) throw outside(`query: ${name} is given more than once`);
  return found[0]?.value;
}

/**
 * An S3 request on the bucket itself is a listing only as `?list-type=2`, and then names the resource by its
 * `prefix`; anything else on the bucket (ListObjects v1, `?acl`, `?delete`...) has no resource and is refused.
 */
function s3Listing(rawPath: string, rawQuery: string | undefined): string | undefined {
  if (rawPath !== "") return undefined;
  const params = parseQuery(rawQuery ?? "");
  if (!params) throw outside("query: the query must percent-decode to UTF-8");
  if (single(params, "list-type") !== "2")
    throw outside("path: empty: only a ListObjectsV2 (?list-type=2) may name the bucket");
  return canonical(single(params, "prefix") ?? "", "query.prefix");
}

/** Checks method and resource against the lease's intent; throws `outside_intent` naming the rule, never a value. */
export function checkIntent(
  request: { method: string; rawPath: string; rawQuery: string | undefined; s3: boolean },
  grant: IntentGrant,
): CheckedIntent {
  if (!grant.methods.includes(request.method)) {
    throw outside(`method: ${request.method} is not one the intent's action allows`);
  }
  const listed = request.s3 ? s3Listing(request.rawPath, request.rawQuery) : undefined;
  const listing = listed !== undefined;
  // An S3 list intent reads names, never objects; and a listing needs a list intent.
  if (request.s3 && listing !== (grant.action === "list")) {
    throw outside(
      listing ? "action: a listing needs an intent with action list" : "action: a list intent only lists",
    );
  }
  const resource = listed ?? resourceOfPath(request.rawPath);
  if (!covers(grant.resource, resource)) throw outside("path: not the intent's resource, nor under it");
  return { action: grant.action, resource, listing };
}
