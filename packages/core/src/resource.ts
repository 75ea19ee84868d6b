/**
 * The resource grammar, defined once for ceilings, requests and the tool-side scope check.
 *
 * Tools resolve the resource they are handed (path normalisation, URL resolution, percent-decoding, Unicode
 * compatibility folding) before they use it. A ceiling check on the raw string is only sound when that
 * resolution cannot change the string, so only strings that every such resolution leaves alone are accepted:
 * non-canonical values are refused, never normalised into canonical ones.
 *
 * This module imports nothing, so that the SDK can use it without the rest of the core.
 */

/** The rules a resource can break, each with the sentence an error message shows. */
export const RESOURCE_RULES = {
  empty: "a resource is not empty",
  too_long: "a resource is at most 1024 characters",
  invisible:
    "no control or invisible character (Unicode Cc, Cf, Cs, Cn, Zl, Zp, default-ignorable, or a space other than U+0020)",
  percent_encoding: "no '%': resources are never percent-encoded",
  backslash: "no '\\'",
  lookalike:
    "no character that folds or looks like '.', '/', '\\', '%', '*' or '?' (NFKC forms such as U+2024 or U+FF0F, slashes such as U+2215, combining marks on '.' or '/')",
  wildcard: "'*' only as the last character of a ceiling resource, never in a request",
  not_nfc: "in Unicode NFC",
  empty_segment: "no empty segment: no leading '/', no '//' (a single trailing '/' marks a prefix)",
  dot_segment:
    "no '.' or '..' segment, nor one made only of dots and spaces, also before a '?', '#' or ';' in the segment",
} as const;
export type ResourceRule = keyof typeof RESOURCE_RULES;

/** A request names one resource (or, ending in `/`, a prefix); a ceiling entry may also end in `*`. */
export type ResourceKind = "request" | "ceiling";

export interface ResourceProblem {
  rule: ResourceRule;
  /** Index (UTF-16) of the first offending character or segment. */
  index: number;
  /** `<rule>: <sentence> (at character <index>)`: never the value itself. */
  message: string;
}

export const RESOURCE_MAX_LENGTH = 1024;

/** Printable ASCII but '%', '*' and '\\': no character rule applies (the common case, checked on every issue). */
const PLAIN = /^[\x20-\x24\x26-\x29\x2b-\x5b\x5d-\x7e]*$/;
const INVISIBLE = /^(?:[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs})$/u;
const MARK = /^\p{M}/u;
/** Syntax characters that must not be reachable through compatibility folding (NFKD has the same as NFKC). */
const FOLDS_TO_SYNTAX = /[./\\%*?]/;
/** Look like '/', '\' or '.' without folding to them, or are mapped to '.' by IDNA (UTS #46). */
const CONFUSABLES = new Set([
  0x2215, // DIVISION SLASH
  0x2044, // FRACTION SLASH
  0x29f8, // BIG SOLIDUS
  0x29f9, // BIG REVERSE SOLIDUS
  0x2216, // SET MINUS
  0x2571, // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
  0x2572, // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
  0x27cb, // MATHEMATICAL RISING DIAGONAL
  0x27cd, // MATHEMATICAL FALLING DIAGONAL
  0x3002, // IDEOGRAPHIC FULL STOP
  0xff61, // HALFWIDTH IDEOGRAPHIC FULL STOP
  0x0337, // COMBINING SHORT SOLIDUS OVERLAY
  0x0338, // COMBINING LONG SOLIDUS OVERLAY
  0x20e5, // COMBINING REVERSE SOLIDUS OVERLAY
]);

function problem(rule: ResourceRule, index: number): ResourceProblem {
  return { rule, index, message: `${rule}: ${RESOURCE_RULES[rule]} (at character ${index})` };
}

function characterProblem(ch: string, previous: string | undefined): ResourceRule | null {
  const code = ch.codePointAt(0) ?? 0;
  if (code === 0x25) return "percent_encoding";
  if (code === 0x5c) return "backslash";
  if (code >= 0x20 && code < 0x7f) return null;
  if (INVISIBLE.test(ch)) return "invisible";
  if (CONFUSABLES.has(code)) return "lookalike";
  const folded = ch.normalize("NFKD");
  if (FOLDS_TO_SYNTAX.test(folded)) return "lookalike";
  // A mark (or a character that folds to one, such as U+FF9E) on '.' or '/', or opening the value, hides them from
  // a reader, and tools that strip diacritics bring them back ('..' + U+0301 becomes '..').
  if (MARK.test(folded) && (previous === undefined || previous === "." || previous === "/"))
    return "lookalike";
  return null;
}

function segmentProblem(segment: string, last: boolean): ResourceRule | null {
  if (segment === "") return last ? null : "empty_segment";
  if (/^ +$/.test(segment)) return "empty_segment";
  // URLs end the path at '?' and '#', and servlet containers drop ';' path parameters: 'a/..?x' and 'a/..;x/b'
  // climb out of 'a/' there, so what precedes them is held to the same rule.
  if (/^[. ]*\.[. ]*(?:[?#;]|$)/.test(segment)) return "dot_segment";
  return null;
}

/**
 * The first rule `value` breaks, or null when it is canonical. A ceiling entry may end in `*` (everything that
 * starts with what precedes it: `docs/*`, `docs*`) or be `*` alone (every resource); the part before the `*`
 * follows the same rules.
 */
export function resourceProblem(value: string, kind: ResourceKind): ResourceProblem | null {
  if (value.length === 0) return problem("empty", 0);
  if (value.length > RESOURCE_MAX_LENGTH) return problem("too_long", RESOURCE_MAX_LENGTH);
  const body = kind === "ceiling" && value.endsWith("*") ? value.slice(0, -1) : value;

  if (!PLAIN.test(body)) {
    let index = 0;
    let previous: string | undefined;
    for (const ch of body) {
      if (ch === "*") return problem("wildcard", index);
      const rule = characterProblem(ch, previous);
      if (rule) return problem(rule, index);
      previous = ch;
      index += ch.length;
    }
    if (body.normalize("NFC") !== body) return problem("not_nfc", 0);
  }
  if (body === "") return null; // `*` alone: every resource
  const segments = body.split("/");
  let offset = 0;
  for (const [i, segment] of segments.entries()) {
    const rule = segmentProblem(segment, i === segments.length - 1 && i > 0);
    if (rule) return problem(rule, offset);
    offset += segment.length + 1;
  }
  return null;
}

export function isCanonicalResource(value: string, kind: ResourceKind): boolean {
  return resourceProblem(value, kind) === null;
}

/** A request resource ending in `/` asks for everything under it. */
export function isResourcePrefix(resource: string): boolean {
  return resource.endsWith("/");
}

/**
 * Whether a ceiling resource covers a request resource: equal, or the ceiling ends in `*` and the request starts
 * with what precedes it (a string prefix ending at a `/`, sound because both are canonical: no tool's resolution
 * of a canonical value crosses a `/`). A request prefix (`docs/`) is covered by an equal entry or by a ceiling
 * prefix at least as wide. Non-canonical values cover and are covered by
 * nothing, so a value stored before the grammar existed fails closed.
 */
export function resourceCovers(ceiling: string, resource: string): boolean {
  const matches = ceiling.endsWith("*") ? prefixCovers(ceiling.slice(0, -1), resource) : ceiling === resource;
  // Grammar last: entries that do not match cost nothing more.
  return matches && isCanonicalResource(ceiling, "ceiling") && isCanonicalResource(resource, "request");
}

/**
 * A prefix inside a segment (`docs*`, as IAM and the contract allow) covers what starts with it, unless what follows
 * is a combining mark (or folds to one): a tool that folds Unicode would merge it into the prefix's last character
 * (U+30AB + U+FF9E is U+30AC under NFKC) and serve a resource that does not start with the prefix.
 */
function prefixCovers(prefix: string, resource: string): boolean {
  if (!resource.startsWith(prefix)) return false;
  if (prefix === "" || prefix.endsWith("/")) return true;
  const next = resource.codePointAt(prefix.length);
  if (next !== undefined && MARK.test(String.fromCodePoint(next).normalize("NFKD"))) return false;
  // Within the first segment, a ':' after the prefix would turn 'a*' into a URL scheme ('ab:') or a drive ('C:').
  return prefix.includes("/") || !resource.slice(prefix.length).split("/", 1)[0]?.includes(":");
}

/** Whether one ceiling resource is within another: every request the first covers, the second covers too. */
export function resourcePatternWithin(child: string, parent: string): boolean {
  if (!child.endsWith("*")) return resourceCovers(parent, child);
  const matches = parent.endsWith("*") && prefixCovers(parent.slice(0, -1), child.slice(0, -1));
  return matches && isCanonicalResource(child, "ceiling") && isCanonicalResource(parent, "ceiling");
}
