import { LeashError } from "@leash/core";
import { z } from "zod";

const AwsCredential = z.object({
  access_key_id: z.string().min(1),
  secret_access_key: z.string().min(1),
  session_token: z.string().min(1),
});
export interface AwsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The STS session in an aws-sts credential; a shape it never has is a provider fault, not the agent's. */
export function awsSessionOf(credential: unknown): AwsSession {
  const parsed = AwsCredential.safeParse(credential);
  if (!parsed.success)
    throw new LeashError("provider_unavailable", "aws-sts: the minted credential is incomplete");
  const c = parsed.data;
  return {
    accessKeyId: c.access_key_id,
    secretAccessKey: c.secret_access_key,
    sessionToken: c.session_token,
  };
}

const VaultTokenCredential = z.object({ token: z.string().min(1) });

/** The token of a vault credential minted for a `token` target (dynamic targets carry no token to inject). */
export function vaultTokenOf(credential: unknown): string {
  const parsed = VaultTokenCredential.safeParse(credential);
  if (!parsed.success) {
    throw new LeashError(
      "provider_rejected",
      "vault: a vault-token upstream needs a target of kind token (a dynamic target has no token to inject)",
    );
  }
  return parsed.data.token;
}
