import { serve } from "@hono/node-server";
import { onStopSignals } from "@leash/devstack";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { createLocalJWKSet, jwtVerify } from "jose";

/**
 * The floor baseline: the least any broker must do per issuance — verify the workload JWT and write one record to
 * Redis — in a bare Hono route. The broker's overhead is reported as a ratio to this. `/empty` does nothing at all:
 * what the load generator reaches against it is the generator's own ceiling on this machine.
 */
const jwks = createLocalJWKSet(JSON.parse(process.env.FLOOR_JWKS ?? "{}"));
const issuer = process.env.FLOOR_ISSUER ?? "";
const redis = new Redis(process.env.REDIS_URL ?? "");
const app = new Hono();
let n = 0;
app.post("/v1/leases", async (c) => {
  const token = (c.req.header("authorization") ?? "").slice(7);
  const { payload } = await jwtVerify(token, jwks, { issuer, audience: "leash" });
  const body = await c.req.json();
  const id = `floor-${process.pid}-${n++}`;
  await redis.set(`floor:${id}`, JSON.stringify({ sub: payload.sub, body }), "EX", 600);
  return c.json({ lease_id: id }, 201);
});
app.post("/empty", async (c) => {
  await c.req.text();
  return c.json({}, 201);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: "127.0.0.1" });
// Dies with the bench that started it (its IPC channel closes), as the API and the worker do.
onStopSignals(() => process.exit(0));
