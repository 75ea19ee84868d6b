import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { handleAdmin, type RoleView, roleView } from "./admin.js";
import { AwsError, type AwsService } from "./errors.js";
import { Faults } from "./faults.js";
import { handleIam } from "./iam.js";
import type { LedgerSession } from "./ledger.js";
import { AwsEmulatorOptions, type BucketSpec, type RoleSpec } from "./options.js";
import { authenticate } from "./principal.js";
import { handleS3 } from "./s3.js";
import { isService, parseAuthorization, parseRawQuery, type RawRequest } from "./sigv4.js";
import { AwsState, newRootKeys, type SessionInfo } from "./state.js";
import { handleSts } from "./sts.js";
import { errorBody, queryResponse } from "./xml.js";

export interface AwsEmulator {
  /** `http://127.0.0.1:<port>`: the `endpoint` of the STS, IAM and S3 clients (S3 with `forcePathStyle`). */
  readonly url: string;
  readonly port: number;
  readonly accountId: string;
  /** Long-term keys of the account's administrator, allowed everything. */
  readonly rootAccessKeyId: string;
  readonly rootSecretAccessKey: string;
  readonly faults: Faults;
  putRole(spec: RoleSpec): RoleView;
  role(name: string): RoleView | undefined;
  putBucket(spec: BucketSpec): void;
  object(bucket: string, key: string): Buffer | undefined;
  /** Every session issued so far, without secrets. */
  sessions(): SessionInfo[];
  /** Every session issued so far with when it stopped working and whether it works now (`GET /__admin/ledger`). */
  ledger(): LedgerSession[];
  stop(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error("request body too large"));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The Query API takes parameters from the form body or the query string, in any order. */
function queryParams(request: RawRequest): Map<string, string> {
  const params = new Map<string, string>();
  for (const [k, v] of Object.entries(parseRawQuery(request.rawQuery))) {
    params.set(k, Array.isArray(v) ? (v[0] ?? "") : v);
  }
  const type = String(request.headers["content-type"] ?? "");
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(request.body.toString("utf8"))) params.set(k, v);
  }
  return params;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) {
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Starts the STS/IAM/S3 emulator on 127.0.0.1. The SigV4 credential scope's service picks the API, so one
 * endpoint serves all three clients; any region is accepted.
 */
export async function startAwsEmulator(input: AwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const options = AwsEmulatorOptions.parse(input);
  const clock = options.clock ?? (() => Date.now());
  const state = new AwsState(options.accountId, options.rootKeys ?? newRootKeys(), clock);
  for (const role of options.roles) state.putRole(role);
  for (const bucket of options.buckets) state.putBucket(bucket);
  const faults = new Faults();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = randomUUID();
    const body = await readBody(req);
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const request: RawRequest = {
      method: req.method ?? "GET",
      rawPath: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? "" : url.slice(q + 1),
      headers: req.headers,
      body,
    };
    if (request.rawPath.startsWith("/__admin/")) {
      const reply = handleAdmin(state, faults, request.method, request.rawPath, body);
      const json = reply.body === undefined ? "" : JSON.stringify(reply.body);
      return send(res, reply.status, json ? { "content-type": "application/json" } : {}, json);
    }
    const scope = parseAuthorization(req.headers.authorization)?.service;
    const formPost = String(req.headers["content-type"] ?? "").startsWith(
      "application/x-www-form-urlencoded",
    );
    const service: AwsService = scope !== undefined && isService(scope) ? scope : formPost ? "sts" : "s3";
    const isS3 = service === "s3";
    const idHeaders: Record<string, string> = isS3
      ? { "x-amz-request-id": id, "x-amz-id-2": id }
      : { "x-amzn-RequestId": id };
    try {
      if (scope !== undefined && !isService(scope)) {
        throw new AwsError(
          "SignatureDoesNotMatch",
          403,
          `Credential should be scoped to correct service: '${service}'.`,
        );
      }
      const fault = await faults.before(service);
      if (fault) throw fault;
      const principal = await authenticate(state, request, service);
      if (isS3) {
        const reply = handleS3(state, principal, request);
        return send(res, reply.status, { ...idHeaders, ...reply.headers }, reply.body);
      }
      const params = queryParams(request);
      const action = params.get("Action") ?? "";
      const result =
        service === "sts"
          ? handleSts(state, principal, action, params)
          : handleIam(state, principal, action, params);
      send(
        res,
        200,
        { ...idHeaders, "content-type": "text/xml" },
        queryResponse(service, action, result, id),
      );
    } catch (error) {
      const known =
        error instanceof AwsError
          ? error
          : isS3
            ? new AwsError("InternalError", 500, "We encountered an internal error. Please try again.")
            : new AwsError(
                "InternalFailure",
                500,
                "The request processing has failed because of an unknown error.",
              );
      const headOnly = request.method === "HEAD";
      const contentType = isS3 ? "application/xml" : "text/xml";
      const resource = isS3 ? request.rawPath : undefined;
      send(
        res,
        known.status,
        { ...idHeaders, "content-type": contentType },
        headOnly ? "" : errorBody(service, known, id, resource),
      );
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, {}, "");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  let stopped: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accountId: state.accountId,
    rootAccessKeyId: state.root.accessKeyId,
    rootSecretAccessKey: state.root.secretAccessKey,
    faults,
    putRole: (spec) => roleView(state, state.putRole(spec)),
    role: (name) => {
      const role = state.roles.get(name);
      return role ? roleView(state, role) : undefined;
    },
    putBucket: (spec) => state.putBucket(spec),
    object: (bucket, key) => state.buckets.get(bucket)?.get(key)?.body,
    sessions: () => state.sessions(),
    ledger: () => state.ledger.entries(),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
