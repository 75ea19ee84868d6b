import { CompactSign, compactVerify, createLocalJWKSet } from "jose";
import { z } from "zod";
import type { SigningKeyFile } from "./keys.js";

const TYPE = "leash-audit-checkpoint";
const Checkpoint = z.strictObject({ first_id: z.string().min(1), prev_hash: z.string(), at: z.number() });
export type SignedCheckpoint = z.infer<typeof Checkpoint>;

/**
 * Signs audit-trail checkpoints with Leash's ES256 signing key (a JWS of its own `typ`, so a checkpoint can never pass
 * for a task token or the reverse), and verifies them against the keys currently in the key file.
 */
export function checkpointSigner(keys: SigningKeyFile) {
  return {
    async sign(checkpoint: SignedCheckpoint): Promise<string> {
      const current = await keys.current();
      return new CompactSign(new TextEncoder().encode(JSON.stringify(Checkpoint.parse(checkpoint))))
        .setProtectedHeader({ alg: "ES256", kid: current.kid, typ: TYPE })
        .sign(current.privateKey);
    },
    async verify(token: string): Promise<SignedCheckpoint | null> {
      try {
        const { jwks } = await keys.current();
        const { payload, protectedHeader } = await compactVerify(token, createLocalJWKSet(jwks), {
          algorithms: ["ES256"],
        });
        if (protectedHeader.typ !== TYPE) return null;
        return Checkpoint.parse(JSON.parse(new TextDecoder().decode(payload)));
      } catch {
        return null;
      }
    },
  };
}
