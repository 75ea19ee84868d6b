/** The keys of an issuer could not be obtained (fetch failed, file unreadable); retrying later may succeed. */
export class KeySetUnavailable extends Error {
  override readonly name = "KeySetUnavailable";
}

/** Reads a response body as text, refusing it once it grows past `maxBytes` (a JWKS is a few KiB). */
export async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new KeySetUnavailable(`response exceeds ${maxBytes} bytes`);
  }
  const body = response.body;
  if (body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    // Leaving the loop by throwing cancels the stream, so the rest is never downloaded.
    if (size > maxBytes) throw new KeySetUnavailable(`response exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
