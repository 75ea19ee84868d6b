import { DeleteRolePolicyCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerSession } from "./ledger.js";
import { type Fixture, failure, ROLE, startFixture } from "./test-fixture.js";

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f?.emu.stop();
});

async function ledgerOverHttp(): Promise<LedgerSession[]> {
  const res = await fetch(`${f.emu.url}/__admin/ledger`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { sessions: LedgerSession[] }).sessions;
}

const deny = (condition: Record<string, Record<string, string>>) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Deny", Action: "*", Resource: "*", Condition: condition }],
  });

describe("session ledger: when each session stopped working, seen from the emulator", () => {
  it("records the instant a deny on the session's aws:userid is put, and leaves other sessions alive", async () => {
    const doomed = await f.assume({ RoleSessionName: "ledger-doomed" });
    const spared = await f.assume({ RoleSessionName: "ledger-spared" });
    const roleId = f.emu.role(ROLE)?.id;
    const before = Date.now();
    await f.iam(f.root()).send(
      new PutRolePolicyCommand({
        RoleName: ROLE,
        PolicyName: "deny-doomed",
        PolicyDocument: deny({ StringEquals: { "aws:userid": `${roleId}:ledger-doomed` } }),
      }),
    );
    const after = Date.now();
    const get = (c: typeof doomed) =>
      f.s3(c).send(new GetObjectCommand({ Bucket: "docs", Key: "docs/a.md" }));
    expect((await failure(get(doomed))).name).toBe("AccessDenied");
    expect((await get(spared)).$metadata.httpStatusCode).toBe(200);

    const sessions = await ledgerOverHttp();
    const d = sessions.find((s) => s.session_name === "ledger-doomed");
    const s = sessions.find((x) => x.session_name === "ledger-spared");
    expect(d).toMatchObject({ alive: false, ended_by: "deny", access_key_id: doomed.accessKeyId });
    expect(d?.ended_at).toBeGreaterThanOrEqual(before);
    expect(d?.ended_at).toBeLessThanOrEqual(after);
    expect(s).toMatchObject({ alive: true, ended_at: null, ended_by: null });
    // The ledger never carries a secret.
    expect(JSON.stringify(sessions)).not.toContain(doomed.secretAccessKey);
  });

  it("a cut by aws:TokenIssueTime ends every session issued before it; an expired session ended at its expiry", async () => {
    await f.assume({ RoleSessionName: "ledger-cut" });
    const cutAt = new Date(Date.now() + 1_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await f.iam(f.root()).send(
      new PutRolePolicyCommand({
        RoleName: ROLE,
        PolicyName: "cut",
        PolicyDocument: deny({ DateLessThan: { "aws:TokenIssueTime": cutAt } }),
      }),
    );
    const cut = f.emu.ledger().find((s) => s.session_name === "ledger-cut");
    expect(cut).toMatchObject({ alive: false, ended_by: "deny" });
    await f.iam(f.root()).send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "cut" }));
    // Lifting a deny brings a session back (IAM re-evaluates each request): the ledger reports it alive again.
    expect(f.emu.ledger().find((s) => s.session_name === "ledger-cut")?.alive).toBe(true);

    const late = await f.assume({ RoleSessionName: "ledger-expiring", DurationSeconds: 900 });
    f.shiftClock(901_000);
    try {
      const expired = f.emu.ledger().find((s) => s.access_key_id === late.accessKeyId);
      expect(expired).toMatchObject({ alive: false, ended_by: "expiry" });
      expect(expired?.ended_at).toBe(expired?.expires_at);
    } finally {
      f.shiftClock(0);
    }
  });

  it("a fault can cover several services and leave the S3 data plane working", async () => {
    const c = await f.assume({ RoleSessionName: "ledger-faults" });
    const res = await fetch(`${f.emu.url}/__admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ unavailable_for_ms: 60_000, service: ["sts", "iam"] }),
    });
    expect(res.status).toBe(204);
    try {
      expect((await failure(f.assume({ RoleSessionName: "ledger-refused" }))).name).toBe(
        "ServiceUnavailable",
      );
      const got = await f.s3(c).send(new GetObjectCommand({ Bucket: "docs", Key: "other/b.md" }));
      expect(got.$metadata.httpStatusCode).toBe(200);
    } finally {
      f.emu.faults.clear();
    }
  });
});
