import { Sha256 } from "@aws-crypto/sha256-js";
import type { AwsSession } from "@leash/providers";
import { SignatureV4 } from "@smithy/signature-v4";
import { decodeOnce } from "./decode.js";
import type { OutgoingRequest } from "./outgoing.js";
import { GatewayRefusal } from "./problem.js";

/** Payload hashes an agent may declare (the SDK sets them): the gateway signs them as they are. */
const KEPT_PAYLOAD = /^(?:UNSIGNED-PAYLOAD|STREAMING-UNSIGNED-PAYLOAD-TRAILER|[0-9a-f]{64})$/;

/**
 * Headers the agent may not set on a SigV4 upstream: the gateway's signature goes there. (`x-amz-content-sha256`
 * is read, then replaced: see payloadHashOf.)
 */
export const SIGV4_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "x-amz-date",
  "x-amz-security-token",
]);

/** Query parameters of presigned URLs: an agent's would stand beside (or instead of) the gateway's signature. */
export const isSigV4Param = (name: string): boolean => /^x-amz-/i.test(name);

export interface SigV4Target {
  service: string;
  region: string;
}

/**
 * The payload hash to sign: the agent's declared one when it is one the gateway can sign without reading the body
 * (`UNSIGNED-PAYLOAD`, a trailer-checksummed stream, or a real SHA-256 S3 will check), else UNSIGNED-PAYLOAD.
 * Signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) carry signatures by the agent's key: refused.
 */
export function payloadHashOf(declared: string | string[] | undefined): string {
  const value = Array.isArray(declared) ? declared.join(",") : declared;
  if (value === undefined || value === "") return "UNSIGNED-PAYLOAD";
  if (KEPT_PAYLOAD.test(value)) return value;
  throw new GatewayRefusal(
    "invalid_request",
    "header: x-amz-content-sha256: signed chunked payloads cannot be re-signed by the gateway",
  );
}

function queryMap(query: readonly string[]): Record<string, string | string[]> {
  const map: Record<string, string | string[]> = {};
  for (const part of query) {
    const eq = part.indexOf("=");
    const name = decodeOnce(eq < 0 ? part : part.slice(0, eq));
    const value = decodeOnce(eq < 0 ? "" : part.slice(eq + 1));
    if (!name.ok || !value.ok) continue; // built by the pipeline from decoded values: cannot happen
    const existing = map[name.value];
    map[name.value] =
      existing === undefined
        ? value.value
        : [...(Array.isArray(existing) ? existing : [existing]), value.value];
  }
  return map;
}

const signers = new WeakMap<AwsSession, Map<string, SignatureV4>>();

/** One signer per session and service: it caches the day's signing key, so most requests cost two hashes. */
function signerFor(session: AwsSession, target: SigV4Target): SignatureV4 {
  let bySession = signers.get(session);
  if (!bySession) {
    bySession = new Map();
    signers.set(session, bySession);
  }
  const id = `${target.service}\u0000${target.region}`;
  let signer = bySession.get(id);
  if (!signer) {
    signer = new SignatureV4({
      credentials: session,
      region: target.region,
      service: target.service,
      sha256: Sha256,
      // S3 signs the path as sent; the other services double-encode it (the SDKs' convention).
      uriEscapePath: target.service !== "s3",
      applyChecksum: false,
    });
    bySession.set(id, signer);
  }
  return signer;
}

/**
 * Signs the outgoing request in place with the lease's STS session: every header it carries is signed, so
 * nothing can be added on the way without breaking the signature. Repeated headers are joined (as HTTP allows).
 */
export async function signSigV4(
  out: OutgoingRequest,
  session: AwsSession,
  target: SigV4Target,
  now: number,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(out.headers)) {
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  headers.host = out.host;
  headers["x-amz-content-sha256"] = payloadHashOf(out.headers["x-amz-content-sha256"]);
  const signed = await signerFor(session, target).sign(
    {
      method: out.method,
      protocol: "https:",
      hostname: out.host.replace(/:\d+$/, ""),
      path: out.path,
      query: queryMap(out.query),
      headers,
    },
    { signingDate: new Date(now) },
  );
  out.headers = { ...signed.headers };
}
