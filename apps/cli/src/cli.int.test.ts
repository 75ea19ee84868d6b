import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createLeashClient, type LeashClient } from "@leash/sdk";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../../../test/support/stack.js";
import { type CliRun, runCli } from "./testing/run-cli.js";

let stack: Stack;
let securityToken: string;
let security: LeashClient;
const leasesOf: Record<string, string[]> = {};
const tempDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "leash-cli-"));
  tempDirs.push(dir);
  return dir;
};

/** The CLI with this test's API, token and config directory, and `env` over them. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, {
    XDG_CONFIG_HOME: tempDir(),
    LEASH_API_URL: stack.api,
    LEASH_TOKEN: securityToken,
    ...env,
  });
}

async function seed(agentName: string, count: number): Promise<void> {
  const agent = agentId(agentName);
  const orchestrator = createLeashClient({ baseUrl: stack.api, token: await stack.token(ORCHESTRATOR) });
  const client = createLeashClient({ baseUrl: stack.api, token: await stack.token(agent) });
  const task = await orchestrator.registerTask({
    agent,
    ceiling: [{ action: "read", resource: "docs/*", tool: "docs-api" }],
    ttl_seconds: 600,
  });
  leasesOf[agentName] = [];
  for (let i = 0; i < count; i++) {
    const grant = await client.requestLease({
      task_id: task.id,
      provider: "leash-jwt",
      intent: { action: "read", resource: `docs/${i}.md`, tool: "docs-api" },
    });
    if (grant.state === "active") leasesOf[agentName]?.push(grant.lease_id);
  }
}

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl") });
  securityToken = await stack.token(SECURITY);
  security = createLeashClient({ baseUrl: stack.api, token: securityToken });
  await seed("cli-a", 2);
  await seed("cli-b", 3);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("leash leases ls / exposure", () => {
  it("lists an agent's leases as JSON and as a table", async () => {
    const [json, text] = await Promise.all([
      cli(["leases", "ls", "--agent", agentId("cli-a"), "--json"]),
      cli(["leases", "ls", "--state", "active", "--limit", "2", "--all-pages"]),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const page = JSON.parse(json.stdout) as { items: { lease_id: string; agent: string }[] };
    expect(page.items.map((l) => l.lease_id).sort()).toEqual([...(leasesOf["cli-a"] ?? [])].sort());
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^LEASE\s+AGENT\s+PROVIDER\s+TARGET\s+STATE\s+EXPIRES IN$/m);
    // --all-pages follows cursors past the 2-per-page limit: all five active leases
    for (const id of [...(leasesOf["cli-a"] ?? []), ...(leasesOf["cli-b"] ?? [])])
      expect(text.stdout).toContain(id);
    expect(text.stdout).not.toContain("\u001b["); // no colour when stdout is not a terminal
  });

  it("shows an agent's exposure with scopes", async () => {
    const run = await cli(["exposure", agentId("cli-a")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${agentId("cli-a")}: 2 live leases (leash-jwt 2)`);
    expect(run.stdout).toContain("read:docs/0.md");
    for (const id of leasesOf["cli-a"] ?? []) expect(run.stdout).toContain(id);
  });

  it("exits 3 for an identity without the security role, 2 for bad usage", async () => {
    const [agent, usage] = await Promise.all([
      cli(["leases", "ls"], { LEASH_TOKEN: await stack.token(agentId("cli-a")) }),
      cli(["leases", "ls", "--state", "sleeping"]),
    ]);
    expect(agent.code).toBe(3);
    expect(agent.stderr).toContain("Forbidden");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--state must be one of");
  });
});

describe("leash login", () => {
  it("stores a token the API accepts with mode 0600 and uses it without LEASH_TOKEN", async () => {
    const config = tempDir();
    const env = { XDG_CONFIG_HOME: config, LEASH_TOKEN: "", LEASH_API_URL: "" };
    const login = await cli(["login", "--api", stack.api, "--token", securityToken, "--json"], env);
    expect(login.code, login.stderr).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({ subject: SECURITY, access: "security" });
    expect(`${login.stdout}${login.stderr}`).not.toContain(securityToken);
    const file = join(config, "leash", "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ api_url: stack.api, token: securityToken });
    const ls = await cli(["leases", "ls", "--json"], env);
    expect(ls.code, ls.stderr).toBe(0);
  });

  it("refuses a token the API does not trust (exit 3) and stores nothing", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer(stack.issuerServer.issuerUrl)
      .setSubject(SECURITY)
      .setAudience("leash")
      .setExpirationTime("5m")
      .sign(privateKey);
    const config = tempDir();
    const run = await cli(["login", "--api", stack.api, "--token", forged], { XDG_CONFIG_HOME: config });
    expect(run.code).toBe(3);
    expect(() => statSync(join(config, "leash", "credentials.json"))).toThrow();
  });
});

describe("leash revoke", () => {
  it("previews with --dry-run --json and revokes nothing", async () => {
    const run = await cli([
      "revoke",
      "--agent",
      agentId("cli-b"),
      "--reason",
      "drill",
      "--dry-run",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      dry_run: true,
      matched: 3,
      by_provider: { "leash-jwt": 3 },
      by_agent: { [agentId("cli-b")]: 3 },
    });
    expect((await security.exposure(agentId("cli-b"))).count).toBe(3);
  });

  it("refuses to revoke without --yes when nobody can confirm (exit 2)", async () => {
    const run = await cli(["revoke", "--agent", agentId("cli-b"), "--reason", "drill"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("refusing to revoke 3 leases without confirmation");
    expect((await security.exposure(agentId("cli-b"))).count).toBe(3);
  });

  it("with --yes runs the campaign to done and every matched lease ends revoked", async () => {
    const run = await cli([
      "revoke",
      "--agent",
      agentId("cli-b"),
      "--reason",
      "drill",
      "--yes",
      "--interval",
      "50",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/campaign rv_\S+ done: 3\/3 revoked, 0 failed/);
    expect(run.stderr).toMatch(/\] 3\/3 revoked/); // the progress line (plain, as stderr is not a terminal)
    expect((await security.exposure(agentId("cli-b"))).count).toBe(0);
    for (const id of leasesOf["cli-b"] ?? []) expect((await security.getLease(id)).state).toBe("revoked");
  });
});

describe("leash audit", () => {
  it("tails and exports the events the API recorded", async () => {
    const [tail, exported] = await Promise.all([
      cli(["audit", "tail", "-n", "100", "--type", "lease.issued", "--json"]),
      cli(["audit", "export"]),
    ]);
    expect(tail.code, tail.stderr).toBe(0);
    const issued = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; lease_id: string });
    expect(issued.map((e) => e.type)).toEqual(Array(5).fill("lease.issued"));
    expect(exported.code, exported.stderr).toBe(0);
    const events = exported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; type: string });
    expect(events.filter((e) => e.type === "revocation.ordered")).toHaveLength(1);
    expect(exported.stderr).toContain(`exported ${events.length} events`);
    const middle = events[Math.floor(events.length / 2)];
    const since = await cli(["audit", "export", "--since", middle?.id ?? ""]);
    expect(
      since.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(events.slice(Math.floor(events.length / 2) + 1).map((e) => e.id));
  });

  it("verify exits 0 on an intact chain and 1, naming the first bad event, after a deletion", async () => {
    const ok = await cli(["audit", "verify"]);
    expect(ok.code, `${ok.stdout}${ok.stderr}`).toBe(0);
    expect(ok.stdout).toMatch(/audit log intact: \d+ events verified/);

    // Tamper as an attacker with Redis access would: delete the second event of the chain.
    const redisCli = (...args: string[]) =>
      promisify(execFile)("redis-cli", ["-u", stack.redisUrl, ...args]).then((r) => r.stdout.trim());
    const ids = (await redisCli("XRANGE", `${stack.prefix}audit`, "-", "+", "COUNT", "3"))
      .split("\n")
      .filter((line) => /^\d+-\d+$/.test(line));
    expect(ids.length).toBe(3);
    expect(await redisCli("XDEL", `${stack.prefix}audit`, ids[1] ?? "")).toBe("1");

    const bad = await cli(["audit", "verify"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`audit log BROKEN at event ${ids[2]}`);
    const json = await cli(["audit", "verify", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, first_bad: { id: ids[2] } });
  });
});
