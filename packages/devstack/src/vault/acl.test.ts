import { describe, expect, it } from "vitest";
import { capabilitiesOn, DEFAULT_POLICY } from "./acl.js";

describe("vault emulator ACL (Vault policy path matching)", () => {
  it("an exact path matches only itself; a trailing * matches by prefix", () => {
    const rules = [
      { path: "database/creds/readonly", capabilities: ["read" as const] },
      { path: "secret/app*", capabilities: ["list" as const] },
    ];
    expect([...capabilitiesOn([rules], "database/creds/readonly")]).toEqual(["read"]);
    expect(capabilitiesOn([rules], "database/creds/readonly/x").size).toBe(0);
    expect([...capabilitiesOn([rules], "secret/application/db")]).toEqual(["list"]);
  });

  it("+ matches exactly one segment", () => {
    const rules = [{ path: "database/creds/+", capabilities: ["read" as const] }];
    expect(capabilitiesOn([rules], "database/creds/readonly").has("read")).toBe(true);
    expect(capabilitiesOn([rules], "database/creds/a/b").size).toBe(0);
  });

  it("within a policy the most specific rule wins; across policies grants add up", () => {
    const broad = [
      { path: "sys/*", capabilities: ["read" as const, "update" as const] },
      { path: "sys/leases/revoke-prefix/*", capabilities: ["update" as const] },
    ];
    const other = [{ path: "sys/leases/revoke-prefix/*", capabilities: ["sudo" as const] }];
    expect([...capabilitiesOn([broad], "sys/leases/revoke-prefix/db")].sort()).toEqual(["update"]);
    expect([...capabilitiesOn([broad, other], "sys/leases/revoke-prefix/db")].sort()).toEqual([
      "sudo",
      "update",
    ]);
  });

  it("deny in any policy wins", () => {
    const allow = [{ path: "auth/token/*", capabilities: ["update" as const] }];
    const deny = [{ path: "auth/token/create", capabilities: ["deny" as const] }];
    expect(capabilitiesOn([allow, deny], "auth/token/create").size).toBe(0);
  });

  it("the default policy lets a token look itself up, renew and revoke itself, and nothing else", () => {
    expect(capabilitiesOn([DEFAULT_POLICY], "auth/token/lookup-self").has("read")).toBe(true);
    expect(capabilitiesOn([DEFAULT_POLICY], "auth/token/renew-self").has("update")).toBe(true);
    expect(capabilitiesOn([DEFAULT_POLICY], "auth/token/create").size).toBe(0);
  });
});
