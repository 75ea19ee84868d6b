import { readFileSync, statSync, writeFileSync } from "node:fs";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";

const PrivateJwk = z.looseObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  kid: z.string().min(1),
  x: z.string(),
  y: z.string(),
  d: z.string(),
});
const KeyFile = z.strictObject({ keys: z.array(PrivateJwk).min(1) });

type PrivateKey = Exclude<Awaited<ReturnType<typeof importJWK>>, Uint8Array>;

export interface SigningKeys {
  kid: string;
  privateKey: PrivateKey;
  /** Public keys of the current and previous signing keys, newest first: verifiers keep working across a rotation. */
  jwks: { keys: JWK[] };
}

function publicPart(jwk: z.infer<typeof PrivateJwk>): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: "ES256", use: "sig" };
}

/** Reads a key file: `{"keys":[current, previous...]}` of ES256 private JWKs. */
export async function readSigningKeys(path: string): Promise<SigningKeys> {
  let parsed: z.infer<typeof KeyFile>;
  try {
    parsed = KeyFile.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (error) {
    const why = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
    throw new Error(`signing key file ${path} is not usable: ${why}`);
  }
  const [current] = parsed.keys;
  if (!current) throw new Error(`signing key file ${path} has no keys`);
  const privateKey = (await importJWK(current, "ES256")) as PrivateKey;
  return { kid: current.kid, privateKey, jwks: { keys: parsed.keys.map(publicPart) } };
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `leash-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}-${Math.random().toString(36).slice(2, 8)}`;
  return { ...jwk, kid, alg: "ES256" };
}

/**
 * Puts a new signing key first and keeps the previous ones (at most `keep` in all), so tokens signed before the
 * rotation still verify until they expire. Creates the file (mode 0600) when it does not exist.
 */
export async function rotateSigningKeys(path: string, keep = 2): Promise<string> {
  let existing: JWK[] = [];
  try {
    existing = KeyFile.parse(JSON.parse(readFileSync(path, "utf8"))).keys;
  } catch {
    existing = [];
  }
  const fresh = await newPrivateJwk();
  writeFileSync(path, `${JSON.stringify({ keys: [fresh, ...existing].slice(0, keep) }, null, 2)}\n`, {
    mode: 0o600,
  });
  return fresh.kid ?? "";
}

/** Re-reads the key file when it changes (checked at most every `intervalMs`), so rotation needs no restart. */
export class SigningKeyFile {
  private keys: SigningKeys | undefined;
  private mtimeMs = 0;
  private checkedAt = 0;

  constructor(
    private readonly path: string,
    private readonly intervalMs = 5_000,
  ) {}

  async current(): Promise<SigningKeys> {
    const now = Date.now();
    if (this.keys && now - this.checkedAt < this.intervalMs) return this.keys;
    this.checkedAt = now;
    const mtimeMs = statSync(this.path).mtimeMs;
    if (!this.keys || mtimeMs !== this.mtimeMs) {
      this.keys = await readSigningKeys(this.path);
      this.mtimeMs = mtimeMs;
    }
    return this.keys;
  }
}
