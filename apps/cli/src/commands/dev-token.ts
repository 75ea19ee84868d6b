import { mintDevToken } from "@leash/devstack";
import { readDevState } from "./dev-state.js";

/** `leash dev token --sub <id>`: a workload token from the running dev stack's issuer. */
export async function devToken(sub: string, ttlSeconds: number): Promise<void> {
  const state = readDevState();
  const token = await mintDevToken({
    keyFile: state.issuer_key_file,
    issuerUrl: state.issuer_url,
    sub,
    ttlSeconds,
  });
  process.stdout.write(`${token}\n`);
}
