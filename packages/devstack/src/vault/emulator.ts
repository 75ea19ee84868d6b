import type { IncomingMessage, ServerResponse } from "node:http";
import type { PolicyRule } from "./acl.js";
import { handleAdminRequest } from "./admin.js";
import { type AppRoleSpec, type DatabaseRoleSpec, putAppRole, putDatabaseRole, putPolicy } from "./config.js";
import { VaultFaults } from "./faults.js";
import type { LedgerLease, LedgerToken } from "./ledger.js";
import { badRequest, VaultHttpError, type VaultReply } from "./reply.js";
import { handleVaultRequest } from "./router.js";
import { type EmulatorClock, VaultState } from "./state.js";
import { listen } from "./transport.js";
import { newServiceToken } from "./values.js";

export interface VaultEmulatorOptions {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Default: a random `hvs.` token. */
  rootToken?: string;
  /** Decides token and lease expiry (fault windows use real time). */
  clock?: EmulatorClock;
  policies?: Record<string, PolicyRule[]>;
  databaseRoles?: Record<string, DatabaseRoleSpec>;
  appRoles?: Record<string, AppRoleSpec>;
  /** Seconds; Vault's defaults are 768 h for both. */
  defaultTtlSeconds?: number;
  maxTtlSeconds?: number;
}

export interface VaultEmulator {
  /** `http://127.0.0.1:<port>` (clients add `/v1/`). */
  readonly url: string;
  readonly port: number;
  readonly rootToken: string;
  readonly faults: VaultFaults;
  readonly state: VaultState;
  /** Every token and dynamic secret ever issued, with when each stopped working (`GET /__admin/ledger`). */
  ledger(): { tokens: LedgerToken[]; leases: LedgerLease[] };
  stop(): Promise<void>;
}

const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new VaultHttpError(413, ["request body too large"]));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `failed to parse JSON input: ${error instanceof Error ? error.message : "invalid JSON"}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw badRequest("failed to parse JSON input: expected an object");
  }
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(head ? undefined : text);
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest("invalid path encoding");
  }
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers["x-vault-token"];
  if (typeof header === "string" && header !== "") return header;
  const auth = req.headers.authorization;
  const bearer = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return bearer?.[1];
}

/** An in-memory Vault for development and tests, speaking the HTTP API the unmodified node-vault client expects. */
export async function startVaultEmulator(options: VaultEmulatorOptions = {}): Promise<VaultEmulator> {
  const clock = options.clock ?? { now: () => Date.now() };
  const limits = {
    defaultTtl: options.defaultTtlSeconds ?? 2_764_800,
    maxTtl: options.maxTtlSeconds ?? 2_764_800,
  };
  const state = new VaultState(clock, limits);
  const root = state.addToken({
    id: options.rootToken ?? newServiceToken(),
    parent: null,
    policies: ["root"],
    meta: null,
    displayName: "root",
    path: "auth/token/root",
    ttl: 0,
    explicitMaxTtl: 0,
    maxExpireAt: null,
    numUses: 0,
    renewable: false,
  });
  for (const [name, rules] of Object.entries(options.policies ?? {})) putPolicy(state, name, rules);
  for (const [name, spec] of Object.entries(options.databaseRoles ?? {})) putDatabaseRole(state, name, spec);
  for (const [name, spec] of Object.entries(options.appRoles ?? {})) putAppRole(state, name, spec);

  let faults: VaultFaults | undefined;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const head = method === "HEAD";
    try {
      const text = await readBody(req);
      if (!faults) throw new VaultHttpError(503, ["starting"]);
      if (url.pathname.startsWith("/__admin/")) {
        const body: unknown = text.trim() === "" ? {} : parseJsonObject(text);
        const reply = await handleAdminRequest(state, faults, method, url.pathname.slice(9), body);
        send(res, reply.status, reply.body, head);
        return;
      }
      if (!url.pathname.startsWith("/v1/")) throw new VaultHttpError(404, []);
      const path = decodePath(url.pathname.slice(4));
      const injected = await faults.before(path.replace(/\/+$/, ""));
      if (injected) throw injected;
      const reply: VaultReply = handleVaultRequest(state, {
        method,
        path,
        query: url.searchParams,
        token: tokenOf(req),
        body: parseJsonObject(text),
      });
      send(res, reply.status, "body" in reply ? reply.body : undefined, head);
    } catch (error) {
      if (error instanceof VaultHttpError) {
        send(res, error.status, { errors: error.errors }, head);
      } else {
        send(res, 500, { errors: [error instanceof Error ? error.message : "internal error"] }, head);
      }
    }
  };

  const transport = await listen((req, res) => void handler(req, res), options.port ?? 0);
  faults = new VaultFaults(state, transport);
  return {
    url: `http://127.0.0.1:${transport.port}`,
    port: transport.port,
    rootToken: root.id,
    faults,
    state,
    ledger: () => state.ledgerEntries(),
    stop: () => transport.close(),
  };
}
