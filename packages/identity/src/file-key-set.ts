import { readFile, stat } from "node:fs/promises";
import type { Clock } from "@leash/core";
import { createLocalJWKSet, errors, type JWTVerifyGetKey } from "jose";
import { KeySetUnavailable } from "./key-set.js";

export interface FileKeySetOptions {
  /** Look at the file's mtime at most this often; a rotation is picked up within this delay. */
  checkIntervalMs: number;
  clock: Clock;
  maxBytes: number;
}

interface Loaded {
  getKey: JWTVerifyGetKey;
  mtimeMs: number;
  size: number;
}

/**
 * Keys from a JWKS file (a mounted trust bundle), re-read when its mtime or size changes. A file that becomes
 * unreadable or invalid keeps the last good keys, so a half-written rotation does not lock every caller out;
 * with no good keys yet, verification fails (closed) and may be retried.
 */
export function fileKeySet(path: string, options: FileKeySetOptions): JWTVerifyGetKey {
  let loaded: Loaded | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    checkedAt = options.clock.now();
    try {
      const info = await stat(path);
      if (loaded && info.mtimeMs === loaded.mtimeMs && info.size === loaded.size) return;
      if (info.size > options.maxBytes) throw new KeySetUnavailable(`file exceeds ${options.maxBytes} bytes`);
      const jwks: unknown = JSON.parse(await readFile(path, "utf8"));
      // createLocalJWKSet validates the shape; its parameter type is only asserted here.
      loaded = { getKey: createLocalJWKSet(jwks as never), mtimeMs: info.mtimeMs, size: info.size };
    } catch (error) {
      if (loaded === undefined) throw new KeySetUnavailable("cannot read jwks_file", { cause: error });
    }
  }

  return async (header, token) => {
    if (pending === undefined && options.clock.now() - checkedAt >= options.checkIntervalMs) {
      pending = refresh().finally(() => {
        pending = undefined;
      });
    }
    // Callers that arrive during a refresh wait for it rather than use keys it is about to replace.
    if (pending !== undefined) await pending;
    if (loaded === undefined) throw new KeySetUnavailable("cannot read jwks_file");
    try {
      return await loaded.getKey(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      // A member that cannot be imported (e.g. a private key in the bundle) is a broken bundle, not a bad token.
      throw new KeySetUnavailable("unusable key in jwks_file", { cause: error });
    }
  };
}
