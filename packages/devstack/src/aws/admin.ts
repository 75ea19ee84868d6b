import { z } from "zod";
import { FaultSpec, type Faults } from "./faults.js";
import { BucketSpec, RoleSpec } from "./options.js";
import { policySizeChars } from "./policy-document.js";
import type { AwsState, RoleRecord } from "./state.js";

export interface AdminReply {
  status: number;
  body: unknown;
}

/** A role as tooling may see it: ids, limits and inline policies (policy text is no secret). */
export interface RoleView {
  name: string;
  id: string;
  arn: string;
  maxSessionDuration: number;
  inline: Record<string, string>;
  /** Characters the inline policies use against the 10,240 quota, whitespace not counted. */
  inlineChars: number;
}

export function roleView(state: AwsState, role: RoleRecord): RoleView {
  const inline: Record<string, string> = {};
  for (const [name, p] of role.inline) inline[name] = p.text;
  const inlineChars = Object.values(inline).reduce((n, text) => n + policySizeChars(text), 0);
  return {
    name: role.name,
    id: role.id,
    arn: state.roleArn(role.name),
    maxSessionDuration: role.maxSessionDuration,
    inline,
    inlineChars,
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

const bad = (error: unknown): AdminReply => ({
  status: 400,
  body: { error: error instanceof z.ZodError ? z.prettifyError(error) : String(error) },
});

/**
 * Unsigned development endpoints under `/__admin/`: faults, roles, buckets, a secret-free view of the sessions, the
 * ledger of every session with when it stopped working, and a health probe for launchers.
 */
export function handleAdmin(
  state: AwsState,
  faults: Faults,
  method: string,
  path: string,
  body: Buffer,
): AdminReply {
  const route = `${method.toUpperCase()} ${path.replace(/\/+$/, "")}`;
  const input = parseJson(body);
  try {
    if (route === "POST /__admin/faults") {
      faults.apply(FaultSpec.parse(input));
      return { status: 204, body: undefined };
    }
    if (route === "DELETE /__admin/faults") {
      faults.clear();
      return { status: 204, body: undefined };
    }
    if (route === "POST /__admin/roles" || route === "PUT /__admin/roles") {
      const role = state.putRole(RoleSpec.parse(input));
      return { status: 200, body: roleView(state, role) };
    }
    const roleMatch = /^GET \/__admin\/roles\/([^/]+)$/.exec(route);
    if (roleMatch) {
      const role = state.roles.get(decodeURIComponent(roleMatch[1] ?? ""));
      return role
        ? { status: 200, body: roleView(state, role) }
        : { status: 404, body: { error: "no such role" } };
    }
    if (route === "POST /__admin/buckets" || route === "PUT /__admin/buckets") {
      state.putBucket(BucketSpec.parse(input));
      return { status: 204, body: undefined };
    }
    if (route === "GET /__admin/sessions") return { status: 200, body: state.sessions() };
    if (route === "GET /__admin/ledger") return { status: 200, body: { sessions: state.ledger.entries() } };
    if (route === "GET /__admin/health") return { status: 200, body: { status: "ok" } };
    return { status: 404, body: { error: `no admin route ${route}` } };
  } catch (error) {
    return bad(error);
  }
}
