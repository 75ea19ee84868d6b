import type { IncomingHttpHeaders } from "node:http";
import { AwsError } from "./errors.js";
import { isAllowed, type Principal } from "./principal.js";
import { parseRawQuery, type RawRequest } from "./sigv4.js";
import type { AwsState, S3Object } from "./state.js";
import { el, raw } from "./xml.js";

export interface S3Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const denied = () => new AwsError("AccessDenied", 403, "Access Denied");
const notImplemented = () =>
  new AwsError("NotImplemented", 501, "A header you provided implies functionality that is not implemented");

/**
 * `aws-chunked` bodies (`STREAMING-*` payloads, what the SDK sends for streams of unknown length): each chunk is
 * `<hex size>[;chunk-signature=…]\r\n<data>\r\n`, ending with a zero-size chunk and optional trailers. Chunk
 * signatures are not checked.
 */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = Number.parseInt(body.subarray(at, eol).toString().split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function objectHeaders(o: S3Object): Record<string, string> {
  return {
    "content-type": o.contentType,
    "content-length": String(o.body.length),
    etag: o.etag,
    "last-modified": new Date(o.lastModified).toUTCString(),
    "accept-ranges": "bytes",
  };
}

function listObjectsV2(state: AwsState, bucket: string, query: Record<string, string | string[]>): string {
  const one = (k: string) => {
    const v = query[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const prefix = one("prefix") ?? "";
  const delimiter = one("delimiter");
  const maxKeys = Math.min(Math.max(Number(one("max-keys") ?? "1000") || 0, 0), 1000);
  const token = one("continuation-token");
  const startAfter = token === undefined ? one("start-after") : Buffer.from(token, "base64url").toString();
  const objects = state.buckets.get(bucket) ?? new Map<string, S3Object>();
  const keys = [...objects.keys()].filter(
    (k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter),
  );
  keys.sort();
  const contents: string[] = [];
  const prefixes = new Set<string>();
  let last: string | undefined;
  let truncated = false;
  for (const key of keys) {
    if (contents.length + prefixes.size >= maxKeys) {
      truncated = true;
      break;
    }
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (delimiter && cut >= 0) prefixes.add(key.slice(0, cut + delimiter.length));
    else {
      const o = objects.get(key);
      if (!o) continue;
      contents.push(
        raw(
          "Contents",
          el("Key", key) +
            el("LastModified", new Date(o.lastModified).toISOString()) +
            el("ETag", o.etag) +
            el("Size", o.body.length) +
            el("StorageClass", "STANDARD"),
        ),
      );
    }
    last = key;
  }
  const next =
    truncated && last !== undefined
      ? el("NextContinuationToken", Buffer.from(last).toString("base64url"))
      : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${NS}">${
    el("Name", bucket) +
    el("Prefix", prefix) +
    (delimiter ? el("Delimiter", delimiter) : "") +
    el("MaxKeys", maxKeys) +
    el("KeyCount", contents.length + prefixes.size) +
    el("IsTruncated", truncated) +
    contents.join("") +
    [...prefixes].map((p) => raw("CommonPrefixes", el("Prefix", p))).join("") +
    (token === undefined ? "" : el("ContinuationToken", token)) +
    next
  }</ListBucketResult>`;
}

/**
 * A path-style S3 data plane (GetObject, HeadObject, PutObject, ListObjectsV2) whose every request is authorised
 * as IAM would: this is where a revoked or out-of-scope credential shows, since STS itself cannot be denied.
 */
export function handleS3(state: AwsState, principal: Principal, request: RawRequest): S3Reply {
  const segments = request.rawPath.split("/");
  const bucket = decodeURIComponent(segments[1] ?? "");
  const key = decodeURIComponent(segments.slice(2).join("/"));
  const query = parseRawQuery(request.rawQuery);
  if (bucket === "") throw notImplemented();
  const objects = state.buckets.get(bucket);
  if (!objects) throw new AwsError("NoSuchBucket", 404, "The specified bucket does not exist");
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const method = request.method.toUpperCase();

  if (key === "") {
    if (method !== "GET" || query["list-type"] !== "2") throw notImplemented();
    const prefix = typeof query.prefix === "string" ? query.prefix : undefined;
    const extra = {
      "s3:prefix": prefix,
      "s3:delimiter": typeof query.delimiter === "string" ? query.delimiter : undefined,
    };
    if (!isAllowed(state, principal, "s3:ListBucket", bucketArn, extra)) throw denied();
    return {
      status: 200,
      headers: { "content-type": "application/xml" },
      body: listObjectsV2(state, bucket, query),
    };
  }
  if (method === "GET" || method === "HEAD") {
    if (!isAllowed(state, principal, "s3:GetObject", objectArn)) throw denied();
    const o = objects.get(key);
    if (!o) {
      // Without s3:ListBucket S3 does not reveal that the key is missing (S3 User Guide, GetObject permissions).
      if (!isAllowed(state, principal, "s3:ListBucket", bucketArn, { "s3:prefix": key })) throw denied();
      throw new AwsError("NoSuchKey", 404, "The specified key does not exist.");
    }
    return { status: 200, headers: objectHeaders(o), body: method === "HEAD" ? "" : o.body };
  }
  if (method === "PUT") {
    if (header(request.headers, "x-amz-copy-source") !== undefined) throw notImplemented();
    if (!isAllowed(state, principal, "s3:PutObject", objectArn)) throw denied();
    const streaming =
      (header(request.headers, "content-encoding") ?? "").includes("aws-chunked") ||
      (header(request.headers, "x-amz-content-sha256") ?? "").startsWith("STREAMING-");
    const body = streaming ? decodeAwsChunked(request.body) : request.body;
    const o = state.putObject(
      bucket,
      key,
      body,
      header(request.headers, "content-type") ?? "binary/octet-stream",
    );
    return { status: 200, headers: { etag: o.etag }, body: "" };
  }
  throw notImplemented();
}
