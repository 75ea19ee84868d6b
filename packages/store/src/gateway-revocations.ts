import type { Clock, GatewayRevocation, GatewayRevocations } from "@leash/core";
import type { RedisClient } from "./connection.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** One JSON text per entry, keys in a fixed order, so recording an entry twice stores one member. */
function encodeRevocation(entry: GatewayRevocation): string {
  return entry.kind === "lease"
    ? JSON.stringify({ kind: "lease", leaseId: entry.leaseId, expiresAt: entry.expiresAt })
    : JSON.stringify({
        kind: "cut",
        upstream: entry.upstream,
        issuedBefore: entry.issuedBefore,
        expiresAt: entry.expiresAt,
      });
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The entry a stored or announced value holds, or null for anything else (never trusted blindly). */
function decodeRevocation(value: unknown): GatewayRevocation | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isNumber(v.expiresAt)) return null;
  if (v.kind === "lease" && typeof v.leaseId === "string")
    return { kind: "lease", leaseId: v.leaseId, expiresAt: v.expiresAt };
  if (v.kind === "cut" && typeof v.upstream === "string" && isNumber(v.issuedBefore))
    return { kind: "cut", upstream: v.upstream, issuedBefore: v.issuedBefore, expiresAt: v.expiresAt };
  return null;
}

function parsed(text: string): GatewayRevocation | null {
  try {
    return decodeRevocation(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * The gateway revocations in Redis: a sorted set of entries by expiry, written and announced on the channel in one
 * script call (`gateway_record.lua`), which also drops entries past their expiry.
 */
export class RedisGatewayRevocations implements GatewayRevocations {
  constructor(
    private readonly keys: Keyspace,
    private readonly scripts: Pick<Scripts, "gatewayRecord">,
    private readonly clock: Clock,
  ) {}

  async record(entries: readonly GatewayRevocation[]): Promise<void> {
    if (entries.length === 0) return;
    const args = entries.flatMap((e) => [e.expiresAt, encodeRevocation(e)]);
    await this.scripts.gatewayRecord(
      [this.keys.gatewayRevocations],
      [this.keys.gatewayChannel, this.clock.now(), ...args],
    );
  }
}

/** Every recorded entry that still matters at `now` (what a gateway loads after subscribing). */
export async function readRevocations(
  redis: RedisClient,
  keys: Keyspace,
  now: number,
): Promise<GatewayRevocation[]> {
  const members = await redis.zrangebyscore(keys.gatewayRevocations, now, "+inf");
  return members.map(parsed).filter((e): e is GatewayRevocation => e !== null);
}

/** A message of the gateway channel: revocations just recorded, or a live view's freshness ping. */
export type FeedMessage =
  | { t: "rev"; entries: GatewayRevocation[] }
  | { t: "ping"; view: string; session: number; at: number };

export function pingMessage(view: string, session: number, at: number): string {
  return JSON.stringify({ t: "ping", view, session, at });
}

export function feedMessage(text: string): FeedMessage | null {
  let parsedBody: unknown;
  try {
    parsedBody = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsedBody !== "object" || parsedBody === null) return null;
  const body = parsedBody as Record<string, unknown>;
  if (body.t === "rev" && Array.isArray(body.entries)) {
    const entries = body.entries.map(decodeRevocation).filter((e): e is GatewayRevocation => e !== null);
    return { t: "rev", entries };
  }
  if (body.t === "ping" && typeof body.view === "string" && isNumber(body.session) && isNumber(body.at))
    return { t: "ping", view: body.view, session: body.session, at: body.at };
  return null;
}
