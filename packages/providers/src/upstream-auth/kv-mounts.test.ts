import { describe, expect, it } from "vitest";
import { fieldsOf, locate, parseMounts, readPath } from "./kv-mounts.js";

/** `GET /v1/sys/mounts` as Vault answers it: the table at the top level and again under `data`. */
const table = {
  "secret/": { type: "kv", options: { version: "2" } },
  "kv1/": { type: "kv", options: { version: "1" } },
  "team/kv/": { type: "kv", options: { version: "2" } },
  "team/": { type: "kv", options: null },
  "old/": { type: "generic", options: null },
  "sys/": { type: "system", options: null },
};

describe("KV mounts", () => {
  it("reads the table under data, or at the top level, skipping wrapper fields", () => {
    for (const body of [
      { request_id: "x", data: table },
      { ...table, request_id: "x", lease_id: "" },
    ]) {
      const mounts = parseMounts(body);
      expect([...mounts.keys()].sort()).toEqual(Object.keys(table).sort());
      expect(mounts.get("secret/")).toEqual({ type: "kv", version: 2 });
      expect(mounts.get("team/")).toEqual({ type: "kv", version: 1 });
    }
    expect(parseMounts("nonsense").size).toBe(0);
  });

  it("picks the longest mount that prefixes the logical path, as Vault's router does", () => {
    const mounts = parseMounts({ data: table });
    expect(locate(mounts, "team/kv/github")).toEqual({ mount: "team/kv/", path: "github", version: 2 });
    expect(locate(mounts, "team/other")).toEqual({ mount: "team/", path: "other", version: 1 });
    expect(locate(mounts, "secret/a/b")).toEqual({ mount: "secret/", path: "a/b", version: 2 });
    expect(locate(mounts, "old/x")).toEqual({ mount: "old/", path: "x", version: 1 });
  });

  it("finds nothing for a path outside every KV engine, a non-KV engine or the mount itself", () => {
    const mounts = parseMounts({ data: table });
    expect(locate(mounts, "nowhere/x")).toBeUndefined();
    expect(locate(mounts, "sys/policy")).toBeUndefined();
    expect(locate(mounts, "secret")).toBeUndefined();
    // A mount name is a whole segment: secretive/x is not under secret/.
    expect(locate(mounts, "secretive/x")).toBeUndefined();
  });

  it("reads v2 under data/ and v1 at the path, as `vault kv get` does", () => {
    expect(readPath({ mount: "secret/", path: "a/b", version: 2 })).toBe("secret/data/a/b");
    expect(readPath({ mount: "kv1/", path: "a/b", version: 1 })).toBe("kv1/a/b");
  });

  it("takes the fields from data.data for v2 and data for v1; a deleted v2 version has none", () => {
    const v2 = { mount: "secret/", path: "a", version: 2 } as const;
    const v1 = { mount: "kv1/", path: "a", version: 1 } as const;
    expect(fieldsOf(v2, { data: { data: { key: "v" }, metadata: {} } })).toEqual({ key: "v" });
    expect(fieldsOf(v2, { data: { data: null, metadata: { deletion_time: "x" } } })).toBeUndefined();
    expect(fieldsOf(v2, { data: { key: "v" } })).toBeUndefined();
    expect(fieldsOf(v1, { data: { key: "v" } })).toEqual({ key: "v" });
    expect(fieldsOf(v1, {})).toBeUndefined();
  });
});
