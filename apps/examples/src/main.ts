import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mintDevToken, REPO_ROOT } from "@leash/devstack";
import { connectAgent } from "./agent.js";
import { startDocsServer } from "./docs-server.js";

/**
 * `pnpm example:mcp`, with `pnpm dev` running: an MCP server protected by Leash, and an agent that finds Leash
 * through it and calls its tools with the official MCP SDK; then the task ends and so does the agent's access.
 * The dev stack's identity issuer plays SPIRE's part: it signs the workload JWTs.
 */
const AGENT = "spiffe://dev.local/agent/demo";
const ORCHESTRATOR = "spiffe://dev.local/orchestrator";

interface DevStack {
  api_url: string;
  issuer_url: string;
  issuer_key_file: string;
}

function devStack(): DevStack {
  const file = join(process.env.LEASH_DEV_DIR ?? join(REPO_ROOT, ".dev"), "stack.json");
  if (!existsSync(file)) throw new Error("no dev stack found: start one with `pnpm dev` first");
  return JSON.parse(readFileSync(file, "utf8")) as DevStack;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const dev = devStack();
  const leash = dev.api_url.replace(/\/+$/, "");
  const mint = (sub: string, aud?: string) =>
    mintDevToken({
      keyFile: dev.issuer_key_file,
      issuerUrl: dev.issuer_url,
      sub,
      ttlSeconds: 300,
      ...(aud ? { aud } : {}),
    });

  const task = `example-mcp-${randomUUID().slice(0, 8)}`;
  const registered = await fetch(`${leash}/v1/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${await mint(ORCHESTRATOR)}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: task,
      agent: AGENT,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    }),
  });
  if (registered.status !== 201)
    throw new Error(`registering the task: ${registered.status} ${await registered.text()}`);
  log(`1. the orchestrator registered task ${task} for ${AGENT}: read docs/*`);

  const docs = await startDocsServer({ leashUrl: leash });
  log(`2. the docs MCP server listens on ${docs.url}, protected by Leash at ${leash}`);
  try {
    const { client } = await connectAgent({
      mcpUrl: docs.url,
      leashUrl: leash,
      clientId: AGENT,
      workloadJwt: await mint(AGENT, `${leash}/oauth/token`),
      // The dev policies let agents read internal data: the intent says so in full (RFC 9396), not as a scope.
      authorizationDetails: [
        { type: "leash_intent", task_id: task, action: "read", resource: "docs/", sensitivity: "internal" },
      ],
    });
    log("3. the agent connected with the MCP SDK (401, metadata, Leash's token endpoint, retry)");
    const { tools } = await client.listTools();
    log(`   tools: ${tools.map((t) => t.name).join(", ")}`);
    const who = await client.callTool({ name: "whoami", arguments: {} });
    log(`   whoami -> ${JSON.stringify(who.structuredContent)}`);
    for (const path of ["docs/readme.md", "secrets/key"]) {
      const read = await client.callTool({ name: "read_doc", arguments: { path } });
      const text = (read.content as { type: string; text?: string }[])[0]?.text ?? "";
      log(`   read_doc ${path} -> ${read.isError ? "refused: " : ""}${text.split("\n")[0]}`);
    }

    const completed = await fetch(`${leash}/v1/tasks/${task}/complete`, {
      method: "POST",
      headers: { authorization: `Bearer ${await mint(ORCHESTRATOR)}` },
    });
    const endedAt = Date.now();
    log(`4. the orchestrator completed the task (${completed.status})`);
    for (;;) {
      try {
        await client.callTool({ name: "whoami", arguments: {} });
      } catch (error) {
        log(
          `   the next call failed ${Date.now() - endedAt} ms later: ${(error as Error).message.slice(0, 120)}`,
        );
        break;
      }
      if (Date.now() - endedAt > 5_000)
        throw new Error("the agent could still call the server 5 s after its task ended");
    }
    await client.close();
  } finally {
    await docs.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`example failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
