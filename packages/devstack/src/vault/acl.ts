import { z } from "zod";

export const Capability = z.enum(["create", "read", "update", "patch", "delete", "list", "sudo", "deny"]);
export type Capability = z.infer<typeof Capability>;

/** One `path "<glob>" { capabilities = [...] }` stanza. `*` is allowed only at the end, `+` matches one segment. */
export const PolicyRule = z.strictObject({
  path: z.string().min(1).max(512),
  capabilities: z.array(Capability).min(1),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

export const PolicyRules = z.array(PolicyRule).max(256);

/**
 * Vault's built-in `default` policy, reduced to the paths this emulator serves (the real one also grants
 * `sys/capabilities-self`, cubbyhole, wrapping and identity lookups).
 */
export const DEFAULT_POLICY: readonly PolicyRule[] = [
  { path: "auth/token/lookup-self", capabilities: ["read"] },
  { path: "auth/token/renew-self", capabilities: ["update"] },
  { path: "auth/token/revoke-self", capabilities: ["update"] },
  { path: "sys/renew", capabilities: ["update"] },
  { path: "sys/leases/renew", capabilities: ["update"] },
  { path: "sys/leases/lookup", capabilities: ["update"] },
];

/** How specific a rule is for a path, or undefined when it does not match. Exact beats glob; longer beats shorter. */
function specificity(rulePath: string, path: string): number | undefined {
  const glob = rulePath.endsWith("*");
  const body = glob ? rulePath.slice(0, -1) : rulePath;
  const ruleSegments = body.split("/");
  const pathSegments = path.split("/");
  if (!glob && ruleSegments.length !== pathSegments.length) return undefined;
  if (glob && pathSegments.length < ruleSegments.length) return undefined;
  for (let i = 0; i < ruleSegments.length; i++) {
    const r = ruleSegments[i] ?? "";
    const p = pathSegments[i] ?? "";
    const last = i === ruleSegments.length - 1;
    if (r === "+") continue;
    if (glob && last) {
      if (!p.startsWith(r)) return undefined;
    } else if (r !== p) {
      return undefined;
    }
  }
  return glob ? body.length : body.length + 10_000;
}

/**
 * The capabilities a set of policies grants on a path: in each policy the most specific matching rule wins, the
 * policies' grants are added up, and a `deny` anywhere wins over everything.
 */
export function capabilitiesOn(
  policies: readonly (readonly PolicyRule[])[],
  path: string,
): ReadonlySet<Capability> {
  const granted = new Set<Capability>();
  for (const rules of policies) {
    let best: PolicyRule | undefined;
    let bestScore = -1;
    for (const rule of rules) {
      const score = specificity(rule.path, path);
      if (score !== undefined && score > bestScore) {
        best = rule;
        bestScore = score;
      }
    }
    if (!best) continue;
    if (best.capabilities.includes("deny")) return new Set();
    for (const c of best.capabilities) granted.add(c);
  }
  return granted;
}
