import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { BodyScanner } from "./redact.js";

/**
 * Streams the upstream's body to the agent through the scanner, pausing the upstream while the agent's socket is
 * full. Resolves once the agent's response has finished; rejects when the scanner finds the secret, the upstream
 * fails, or the agent's connection closes first (a cut closes it too). A plain pump rather than a stream pipeline:
 * this runs for every response, and the pipeline's bookkeeping cost as much as the scan.
 */
export function relayBody(body: Readable, res: ServerResponse, scanner: BodyScanner): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const cleanup = () => {
      // The upstream's body may still fail once this is over (a cut aborts it): that is no longer news.
      body.off("data", onData).off("end", onEnd).off("error", fail).on("error", ignore);
      res.off("drain", onDrain).off("finish", onFinish).off("close", onClose);
    };
    function fail(error: unknown) {
      if (settled) return;
      settled = true;
      cleanup();
      body.destroy();
      reject(error);
    }
    function onData(chunk: Buffer) {
      let out: Buffer;
      try {
        out = scanner.push(chunk);
      } catch (error) {
        fail(error);
        return;
      }
      if (out.length > 0 && !res.write(out)) body.pause();
    }
    function onDrain() {
      body.resume();
    }
    function onEnd() {
      const tail = scanner.flush();
      if (tail.length > 0) res.end(tail);
      else res.end();
    }
    function onFinish() {
      if (settled) return;
      settled = true;
      cleanup();
      resolve();
    }
    function onClose() {
      fail(new Error("the agent's connection closed before the response ended"));
    }
    body.on("data", onData).once("end", onEnd).once("error", fail);
    res.on("drain", onDrain).once("finish", onFinish).once("close", onClose);
  });
}

function ignore(): void {}
