import { z } from "zod";
import type { FetchLike } from "./transport.js";
import type { LeaseGrant } from "./types.js";

/** The credential of a `provider: "gateway"` lease: a token for the gateway, never the upstream's secret. */
export const GatewayCredential = z.object({
  token: z.string().min(1),
  token_type: z.literal("Bearer"),
  base_url: z.url({ protocol: /^https?$/ }).refine((u) => u.endsWith("/"), "base_url ends with /"),
});
export type GatewayCredential = z.infer<typeof GatewayCredential>;

/** The gateway credential of an issued lease; throws a TypeError naming the problem for any other lease. */
export function gatewayCredential(lease: LeaseGrant | GatewayCredential): GatewayCredential {
  const raw = "state" in lease ? (lease.state === "active" ? lease.credential : undefined) : lease;
  if (raw === undefined) throw new TypeError("the lease is pending approval: it has no credential yet");
  const parsed = GatewayCredential.safeParse(raw);
  if (!parsed.success) throw new TypeError("not a gateway lease: its credential has no token and base_url");
  return parsed.data;
}

/**
 * The URL of `path` under the lease's upstream. Joined as text, never resolved: `new URL("../x", base)` would
 * remove dot segments, and the gateway must see (and refuse) exactly what the caller wrote.
 */
export function gatewayUrl(credential: GatewayCredential, path: string): string {
  return credential.base_url + (path.startsWith("/") ? path.slice(1) : path);
}

/**
 * `fetch` through the gateway: `path` (the upstream path, with its query) under the lease's `base_url`, with the
 * lease's token as the only credential. Any `Authorization` in `init` is replaced.
 */
export function gatewayFetch(
  lease: LeaseGrant | GatewayCredential,
  path: string,
  init: RequestInit = {},
  fetchImpl: FetchLike = (url, i) => fetch(url, i),
): Promise<Response> {
  const credential = gatewayCredential(lease);
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${credential.token}`);
  return fetchImpl(gatewayUrl(credential, path), { ...init, headers, redirect: init.redirect ?? "manual" });
}

/** The part of an HTTP request the AWS SDK hands a request signer. */
interface SignableRequest {
  headers: Record<string, string>;
}

/**
 * A request signer for AWS SDK v3 clients pointed at a gateway (`signer` in the client's configuration): the
 * gateway signs with SigV4 itself, so the request only carries the lease's token.
 *
 *     new S3Client({ region, bucketEndpoint: true, signer: gatewayAwsSigner(lease), credentials: ANY, ... })
 *       .send(new GetObjectCommand({ Bucket: gatewayBucket(lease), Key }))
 */
export function gatewayAwsSigner(lease: LeaseGrant | GatewayCredential): {
  sign<R extends SignableRequest>(request: R): Promise<R>;
} {
  const { token } = gatewayCredential(lease);
  return {
    async sign(request) {
      for (const name of Object.keys(request.headers))
        if (name.toLowerCase() === "authorization") delete request.headers[name];
      request.headers.authorization = `Bearer ${token}`;
      return request;
    },
  };
}

/**
 * What to pass as `Bucket` to an AWS SDK S3 client configured with `bucketEndpoint: true`: the SDK then sends
 * `<base_url><Key>`, and the gateway's upstream names the real bucket. (`base_url` without its final slash, which
 * the SDK adds itself.)
 */
export function gatewayBucket(lease: LeaseGrant | GatewayCredential): string {
  return gatewayCredential(lease).base_url.slice(0, -1);
}
