import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

/** A signing key and its public JWK, for tests that play the part of an issuer. */
export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function testKey(kid: string, alg = "ES256"): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export function jwksOf(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

export interface SignOptions {
  /** Header fields merged over `{ alg, kid }`; `kid: undefined` drops the kid. */
  header?: Record<string, unknown>;
}

/** Signs `claims` as they are: tests choose every claim, including none of the usual ones. */
export function sign(key: TestKey, claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const header = { alg: key.alg, kid: key.kid, ...options.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An unsigned (`alg: none`) token. */
export function unsecured(claims: JWTPayload, header: Record<string, unknown> = {}): string {
  return `${b64({ alg: "none", ...header })}.${b64(claims)}.`;
}

/** Epoch seconds of a clock value in ms. */
export const seconds = (ms: number): number => Math.floor(ms / 1000);

/** A temporary directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "leash-identity-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a JWKS file with an explicit mtime, so a rewrite is visible even on coarse-mtime filesystems. */
export function writeJwksFile(path: string, jwks: { keys: JWK[] }, mtimeSeconds: number): void {
  writeFileSync(path, JSON.stringify(jwks));
  utimesSync(path, mtimeSeconds, mtimeSeconds);
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
