import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Exchange, HttpProblem, sendJson } from "./http.js";
import { IssueStore } from "./issues.js";
import { keyChecker } from "./key.js";
import { ApiEmulatorOptions } from "./options.js";
import { type ReceivedRequest, Recorder } from "./record.js";
import { route } from "./routes.js";

export interface ApiEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** What arrived, oldest first (live: entries are added, and completed, as requests come and go). */
  readonly received: readonly ReceivedRequest[];
  clear(): void;
  close(): Promise<void>;
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] ?? "", raw[i + 1] ?? ""]);
  return out;
}

/** Origin-form targets resolve against a fixed base (never `new URL(target, base)`, which reads `//x` as a host). */
function parseTarget(target: string): URL | undefined {
  if (target.startsWith("/")) return URL.parse(`http://emulator${target}`) ?? undefined;
  return URL.parse(target) ?? undefined;
}

function recordOf(req: IncomingMessage, url: URL | undefined, authorized: boolean): ReceivedRequest {
  const target = req.url ?? "";
  const q = target.indexOf("?");
  return {
    at: Date.now(),
    method: req.method ?? "",
    target,
    path: q === -1 ? target : target.slice(0, q),
    query: url ? [...url.searchParams] : [],
    headers: pairs(req.rawHeaders),
    authorized,
    status: undefined,
    bytesOut: 0,
    aborted: false,
  };
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * An HTTP API guarded by a static key, like the ones the gateway fronts (GitHub, Slack, a model provider): every
 * route needs the key, and every request is recorded as received (method, target, header lines), so tests can show
 * that the agent's token never arrives and the injected key does. Routes: /repos/<owner>/<repo>/issues[/<n>],
 * /echo-headers, /redirect?to=, /bytes/<n>?rate=, /slow?ms=, /upload.
 */
export async function startApiEmulator(input: ApiEmulatorOptions): Promise<ApiEmulator> {
  const options = ApiEmulatorOptions.parse(input);
  const check = keyChecker(options);
  const recorder = new Recorder(options.maxRecords ?? 10_000);
  const issues = new IssueStore();
  for (const [repo, seed] of Object.entries(options.issues ?? {})) issues.seed(repo, seed);
  const deps = { issues, bytesPerSecond: options.bytesPerSecond ?? 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = parseTarget(req.url ?? "");
    const verdict = url ? check(req, url) : "missing";
    const record = recordOf(req, url, verdict === "ok");
    recorder.add(record);
    const gone = new AbortController();
    res.on("close", () => {
      record.status = res.statusCode;
      record.aborted = !res.writableFinished;
      if (record.aborted) gone.abort();
    });
    const ex: Exchange = { req, res, url: url ?? new URL("http://emulator/"), record, signal: gone.signal };
    try {
      if (!url) throw new HttpProblem(400, "Bad request target");
      if (verdict === "missing") throw new HttpProblem(401, "Requires authentication");
      if (verdict === "wrong") throw new HttpProblem(401, "Bad credentials");
      await route(ex, deps);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = error instanceof HttpProblem ? error.status : 500;
      const message = error instanceof HttpProblem ? error.message : "Internal error";
      req.resume();
      sendJson(ex, status, { message });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received: recorder.entries,
    clear: () => recorder.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
