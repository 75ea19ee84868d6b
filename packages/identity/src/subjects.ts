import type { Role } from "@leash/core";

/** Role name -> subject patterns, as in the `roles` key of the trust configuration. */
export type RoleMapping = Partial<Record<Role, readonly string[]>>;

/**
 * A pattern matches the subject exactly, or as a prefix when it ends in `/`. Requiring the slash keeps
 * `spiffe://example.org/agent` from also granting `spiffe://example.org/agent-evil` or `spiffe://example.org.evil`.
 */
export function subjectMatches(subject: string, pattern: string): boolean {
  return pattern.endsWith("/") ? subject.startsWith(pattern) : subject === pattern;
}

/** Every role whose patterns match `subject`; an identity may hold several. */
export function rolesFor(subject: string, roles: RoleMapping): Set<Role> {
  const held = new Set<Role>();
  for (const [role, patterns] of Object.entries(roles) as [Role, readonly string[] | undefined][]) {
    if (patterns?.some((pattern) => subjectMatches(subject, pattern))) held.add(role);
  }
  return held;
}

export interface SpiffeParts {
  trustDomain: string;
  /** `""` for the trust domain itself, else `/seg/seg`. */
  path: string;
}

const SPIFFE_SCHEME = "spiffe://";
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_SPIFFE_ID_BYTES = 2048;

/**
 * Splits a SPIFFE ID, or returns null when `subject` is not a valid one (SPIFFE-ID spec §2: lowercase scheme and
 * trust domain, no port, userinfo, query or fragment, no empty, `.` or `..` segments, no trailing slash).
 */
export function spiffeParts(subject: string): SpiffeParts | null {
  if (!subject.startsWith(SPIFFE_SCHEME) || Buffer.byteLength(subject) > MAX_SPIFFE_ID_BYTES) return null;
  const rest = subject.slice(SPIFFE_SCHEME.length);
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash);
  if (!TRUST_DOMAIN.test(trustDomain)) return null;
  if (path !== "") {
    const segments = path.slice(1).split("/");
    const valid = segments.every((s) => PATH_SEGMENT.test(s) && s !== "." && s !== "..");
    if (!valid) return null;
  }
  return { trustDomain, path };
}
