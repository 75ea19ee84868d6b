import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsService } from "./errors.js";

/** The parts of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export interface SigV4Authorization {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export interface RawRequest {
  method: string;
  /** The path exactly as sent (still percent-encoded). */
  rawPath: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const AUTH =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

export function parseAuthorization(header: string | undefined): SigV4Authorization | undefined {
  const m = header === undefined ? null : AUTH.exec(header.trim());
  if (!m) return undefined;
  const [, accessKeyId = "", shortDate = "", region = "", service = "", signed = "", signature = ""] = m;
  return { accessKeyId, shortDate, region, service, signedHeaders: signed.split(";"), signature };
}

export function isService(value: string): value is AwsService {
  return value === "sts" || value === "iam" || value === "s3";
}

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data): Buffer =>
  typeof d === "string"
    ? Buffer.from(d)
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);

/** SHA-256 / HMAC-SHA256 in the shape the smithy signer expects, on node:crypto. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: Data) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
  }
  update(data: Data): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** `20240501T120000Z` -> Date; undefined when malformed. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const m = value === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0));
}

/** Splits a raw query string without treating `+` as a space (SigV4 encodes spaces as %20). */
export function parseRawQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

/**
 * Re-signs the request with the caller's secret the way the SDK signed it (moto's approach): only the headers
 * the caller listed as signed, its own date, region and service, and the same signer code the SDK runs. S3 paths
 * are signed as sent; the Query API services normalise and double-encode them.
 */
export async function verifySignature(
  request: RawRequest,
  auth: SigV4Authorization,
  secretAccessKey: string,
): Promise<boolean> {
  const signingDate = parseAmzDate(headerValue(request.headers, "x-amz-date"));
  if (!signingDate) return false;
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) return false;
    headers[name] = value;
  }
  const host = headers.host ?? "";
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey },
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
    uriEscapePath: auth.service !== "s3",
    applyChecksum: false,
  });
  const toSign = new HttpRequest({
    method: request.method,
    protocol: "http:",
    hostname: host.replace(/:\d+$/, ""),
    path: request.rawPath,
    query: parseRawQuery(request.rawQuery),
    headers,
    body: request.body,
  });
  const signed = await signer.sign(toSign, {
    signingDate,
    signableHeaders: new Set(auth.signedHeaders),
  });
  const produced = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? "";
  const a = Buffer.from(produced);
  const b = Buffer.from(auth.signature);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** x-amz-content-sha256 must match the body when it is a real hash (not UNSIGNED-PAYLOAD or streaming). */
export function payloadHashMatches(request: RawRequest): boolean {
  const declared = headerValue(request.headers, "x-amz-content-sha256");
  if (declared === undefined || !/^[0-9a-f]{64}$/.test(declared)) return true;
  return createHash("sha256").update(request.body).digest("hex") === declared;
}
