import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { z } from "zod";

/** An ES256 private JWK as the dev issuer stores it. */
export const DevSigningJwk = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
  alg: z.literal("ES256").default("ES256"),
});
export type DevSigningJwk = z.infer<typeof DevSigningJwk>;

export async function generateSigningJwk(): Promise<DevSigningJwk> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  // The RFC 7638 thumbprint is a stable kid: the same key file always yields the same kid.
  const kid = await calculateJwkThumbprint(jwk);
  return DevSigningJwk.parse({ ...jwk, kid, alg: "ES256" });
}

export async function readSigningJwk(path: string): Promise<DevSigningJwk> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
    throw new Error(`cannot read dev issuer key file ${path}: ${reason}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`dev issuer key file ${path} is not JSON`);
  }
  const result = DevSigningJwk.safeParse(parsed);
  // The issues name fields only; the file holds a private key, so its values are never quoted.
  if (!result.success) {
    const fields = result.error.issues.map((issue) => issue.path.join(".") || "(root)").join(", ");
    throw new Error(`dev issuer key file ${path} is not an ES256 private JWK (check: ${fields})`);
  }
  return result.data;
}

/** Reads the key at `path`, or generates one and writes it there readable by the owner only. */
export async function loadOrCreateSigningJwk(path: string): Promise<DevSigningJwk> {
  try {
    return await readSigningJwk(path);
  } catch (error) {
    if (!(error instanceof Error && (error.cause as { code?: unknown } | undefined)?.code === "ENOENT"))
      throw error;
  }
  const jwk = await generateSigningJwk();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Written aside then hard-linked into place: a reader never sees half a key, and when two processes start
  // at once the link of the second fails, so both end up using the first key instead of one overwriting it.
  const staging = `${path}.${randomUUID()}.tmp`;
  await writeFile(staging, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(staging, path);
    return jwk;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EEXIST") throw error;
    return await readSigningJwk(path);
  } finally {
    await unlink(staging);
  }
}
