import { z } from "zod";
import { PolicySpec, putAppRole, putDatabaseRole, putPolicy } from "./config.js";
import { FaultSpec, type VaultFaults } from "./faults.js";
import type { VaultState } from "./state.js";

export interface AdminReply {
  status: number;
  body?: unknown;
}

const WRITE = new Set(["PUT", "POST"]);

/**
 * The emulator's own control plane under `/__admin/` (never part of Vault's API, so never under `/v1/`): fault
 * injection, configuration, and the outside view tests need, e.g. whether a database user still exists, or the
 * ledger of every token and secret ever issued with when each stopped working.
 */
export async function handleAdminRequest(
  state: VaultState,
  faults: VaultFaults,
  method: string,
  path: string,
  body: unknown,
): Promise<AdminReply> {
  try {
    return await route(state, faults, method, path, body);
  } catch (error) {
    if (error instanceof z.ZodError) {
      return { status: 400, body: { errors: error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) } };
    }
    return { status: 400, body: { errors: [error instanceof Error ? error.message : String(error)] } };
  }
}

async function route(
  state: VaultState,
  faults: VaultFaults,
  method: string,
  path: string,
  body: unknown,
): Promise<AdminReply> {
  state.sweep();
  if (path === "faults") {
    if (method === "GET") return { status: 200, body: faults.snapshot() };
    if (method === "DELETE") {
      await faults.clear();
      return { status: 204 };
    }
    if (WRITE.has(method)) {
      faults.set(FaultSpec.parse(body));
      return { status: 200, body: faults.snapshot() };
    }
    return { status: 405, body: { errors: ["unsupported operation"] } };
  }

  if (path === "ledger" && method === "GET") return { status: 200, body: state.ledgerEntries() };

  const user = /^database\/users\/([^/]+)$/.exec(path);
  if (user && method === "GET") {
    const found = state.databaseUsers.get(decodeURIComponent(user[1] ?? ""));
    return found
      ? { status: 200, body: { username: found.username, role: found.role, lease_id: found.leaseId } }
      : { status: 404, body: { errors: [] } };
  }

  const [, kind, name] = /^(database\/roles|approle\/roles|policies)\/([^/]+)$/.exec(path) ?? [];
  if (kind && name && WRITE.has(method)) {
    if (kind === "database/roles") putDatabaseRole(state, name, body);
    else if (kind === "approle/roles") putAppRole(state, name, body);
    else putPolicy(state, name, PolicySpec.parse(body).rules);
    return { status: 204 };
  }
  return { status: 404, body: { errors: [`no admin route ${method} /__admin/${path}`] } };
}
