import { z } from "zod";
import { PolicyRules } from "./acl.js";
import type { AppRole, DatabaseRole, VaultState } from "./state.js";
import { parseDurationSeconds } from "./values.js";

const seconds = z.union([z.number().int().min(0), z.string().min(1)]).transform((v, ctx) => {
  try {
    const n = parseDurationSeconds(v, "duration");
    if (n >= 0) return n;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: `invalid duration ${JSON.stringify(v)}` });
  return z.NEVER;
});

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "letters, digits, _ . - (1-128)");

export const DatabaseRoleSpec = z.strictObject({
  default_ttl: seconds.default(3600),
  max_ttl: seconds.default(86_400),
});
export type DatabaseRoleSpec = z.input<typeof DatabaseRoleSpec>;

export const AppRoleSpec = z.strictObject({
  role_id: z.string().min(1).max(256),
  secret_id: z.string().min(1).max(256),
  policies: z.array(name).default([]),
  token_ttl: seconds.default(0),
  token_max_ttl: seconds.default(0),
});
export type AppRoleSpec = z.input<typeof AppRoleSpec>;

export const PolicySpec = z.strictObject({ rules: PolicyRules });

export function putDatabaseRole(state: VaultState, roleName: string, spec: unknown): DatabaseRole {
  const role = DatabaseRoleSpec.parse(spec);
  state.databaseRoles.set(name.parse(roleName), role);
  return role;
}

export function putAppRole(state: VaultState, roleName: string, spec: unknown): AppRole {
  const role = AppRoleSpec.parse(spec);
  state.appRoles.set(name.parse(roleName), role);
  return role;
}

export function putPolicy(state: VaultState, policyName: string, rules: unknown): void {
  const parsedName = name.parse(policyName);
  if (parsedName === "root") throw new Error("the root policy cannot be changed");
  state.policies.set(parsedName, PolicyRules.parse(rules));
}
