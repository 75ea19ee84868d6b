import { z } from "zod";

const int = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);

/** The gateway's own settings (the shared ones, LEASH_GATEWAY_PORT and the like, are in @leash/runtime's env). */
const GatewayEnv = z.object({
  /** The upstream's response headers, and each gap in its body, may take this long: 504, or the response is cut. */
  LEASH_GATEWAY_UPSTREAM_TIMEOUT_MS: int(30_000, 100),
  /** Request bodies larger than this are 413 (5 GiB: S3's largest single PUT). */
  LEASH_GATEWAY_MAX_BODY_BYTES: int(5 * 1024 ** 3, 0),
  /** A static secret read from Vault KV is used this long before it is read again (rotation reaches it this late). */
  LEASH_GATEWAY_SECRET_CACHE_MS: int(60_000, 0),
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;

/** Parses the gateway's variables or exits 2 naming each bad one (never its value). */
export function loadGatewayEnv(env: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const parsed = GatewayEnv.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  process.stderr.write(`leash-gateway: invalid environment\n${lines.join("\n")}\n`);
  process.exit(2);
}
