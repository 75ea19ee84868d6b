import { request } from "node:http";

/** A response being read: `firstChunk` once its first bytes arrive, `ended` with how it ended. */
export interface StreamingResponse {
  firstChunk: Promise<void>;
  ended: Promise<"cut" | "complete">;
}

/** GET `url` with the bearer `token`; resolves once the response head arrives (its body still streaming). */
export function streamingGet(url: string, token: string): Promise<StreamingResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let first: () => void = () => {};
      const firstChunk = new Promise<void>((r) => {
        first = r;
      });
      const ended = new Promise<"cut" | "complete">((r) => {
        res.on("data", () => first());
        res.on("end", () => r("complete"));
        res.on("error", () => r("cut"));
        res.on("aborted", () => r("cut"));
      });
      resolve({ firstChunk, ended });
    });
    req.on("error", reject);
    req.end();
  });
}
