import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runPolicyCases } from "./cases.js";
import { createPolicyEngine, type PolicyEngine } from "./engine.js";
import { loadPolicyDir } from "./load.js";
import { EXAMPLES_DIR, request } from "./test-support.js";

let engine: PolicyEngine;
beforeAll(async () => {
  engine = await createPolicyEngine({ dir: EXAMPLES_DIR });
});

const at = (iso: string) => new Date(iso);
const MONDAY_10 = at("2025-01-06T10:00:00Z");

describe("example policy set (infra/policies)", () => {
  it("read-public-internal: reads and lists of public/internal data, nothing more sensitive", () => {
    expect(engine.decide(request({ intent: { action: "read", sensitivity: "public" } }))).toMatchObject({
      allowed: true,
      reasons: ["read-public-internal"],
      maxTtlSeconds: 3600,
      approvalRequired: false,
    });
    expect(engine.decide(request({ intent: { action: "list", sensitivity: "internal" } })).allowed).toBe(
      true,
    );
    expect(engine.decide(request({ intent: { action: "read", sensitivity: "confidential" } }))).toMatchObject(
      {
        allowed: false,
        reasons: ["default-deny"],
      },
    );
    expect(engine.decide(request({ intent: { action: "read", sensitivity: undefined } })).allowed).toBe(
      false,
    );
    expect(engine.decide(request({ intent: { action: "delete", sensitivity: "public" } })).allowed).toBe(
      false,
    );
  });

  it("write-sensitive-with-approval: writes to confidential/restricted data need approval, capped at 900 s", () => {
    const write = (sensitivity: "public" | "confidential" | "restricted") =>
      engine.decide(request({ intent: { action: "write", sensitivity }, now: MONDAY_10 }));
    expect(write("confidential")).toMatchObject({
      allowed: true,
      approvalRequired: true,
      maxTtlSeconds: 900,
      reasons: ["write-sensitive-with-approval"],
    });
    expect(write("restricted")).toMatchObject({ allowed: true, approvalRequired: true });
    expect(write("public")).toMatchObject({ allowed: false, reasons: ["default-deny"] });
  });

  it("destination-allow-list: only listed destinations, requests without one unaffected", () => {
    const to = (destination: string | undefined) =>
      engine.decide(request({ intent: { action: "read", sensitivity: "public", destination } }));
    expect(to("warehouse.internal").allowed).toBe(true);
    expect(to(undefined).allowed).toBe(true);
    expect(to("pastebin.example")).toMatchObject({ allowed: false, reasons: ["destination-allow-list"] });
    expect(to("Warehouse.internal").allowed).toBe(false);
  });

  it("restricted-working-hours-only: restricted data Monday-Friday 08:00-17:59 UTC only", () => {
    const writeAt = (iso: string) =>
      engine.decide(request({ intent: { action: "write", sensitivity: "restricted" }, now: at(iso) }));
    expect(writeAt("2025-01-06T08:00:00Z").allowed).toBe(true);
    expect(writeAt("2025-01-10T17:59:59Z").allowed).toBe(true);
    for (const iso of [
      "2025-01-06T07:59:59Z",
      "2025-01-06T18:00:00Z",
      "2025-01-11T12:00:00Z",
      "2025-01-12T12:00:00Z",
    ]) {
      expect(writeAt(iso), iso).toMatchObject({ allowed: false, reasons: ["restricted-working-hours-only"] });
    }
    const confidentialAtNight = engine.decide(
      request({ intent: { action: "write", sensitivity: "confidential" }, now: at("2025-01-11T23:00:00Z") }),
    );
    expect(confidentialAtNight.allowed).toBe(true);
  });

  it("max-live-leases-per-agent: no more than 20 live leases", () => {
    const holding = (liveLeases: number) =>
      engine.decide(request({ intent: { action: "read", sensitivity: "public" }, exposure: { liveLeases } }));
    expect(holding(19).allowed).toBe(true);
    expect(holding(20)).toMatchObject({ allowed: false, reasons: ["max-live-leases-per-agent"] });
  });

  it("tests.json passes and names every example policy in some case's reasons", async () => {
    const casesFile = join(EXAMPLES_DIR, "tests.json");
    const report = await runPolicyCases(engine, casesFile);
    expect(report.results.filter((r) => !r.passed)).toEqual([]);
    expect(report.passed).toBeGreaterThan(10);

    const cases = JSON.parse(await readFile(casesFile, "utf8")) as { cases: Array<{ reasons?: string[] }> };
    const named = new Set(cases.cases.flatMap((c) => c.reasons ?? []));
    const { policies } = await loadPolicyDir(EXAMPLES_DIR);
    for (const id of policies.keys()) expect(named, `tests.json never names ${id}`).toContain(id);
  });
});
