import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkpointSigner } from "./checkpoint-signer.js";
import { rotateSigningKeys, SigningKeyFile } from "./keys.js";

const checkpoint = { first_id: "1700000000000-0", prev_hash: "ab".repeat(32), at: 1_700_000_000_000 };

async function signerWithFile() {
  const path = join(mkdtempSync(join(tmpdir(), "leash-ckpt-")), "keys.json");
  await rotateSigningKeys(path);
  return { path, signer: checkpointSigner(new SigningKeyFile(path, 0)) };
}

describe("audit checkpoint signatures", () => {
  it("round-trips a checkpoint", async () => {
    const { signer } = await signerWithFile();
    expect(await signer.verify(await signer.sign(checkpoint))).toEqual(checkpoint);
  });

  it("refuses a checkpoint signed by another key, or altered", async () => {
    const { signer } = await signerWithFile();
    const { signer: other } = await signerWithFile();
    const token = await other.sign(checkpoint);
    expect(await signer.verify(token)).toBeNull();
    const [header, , signature] = (await signer.sign(checkpoint)).split(".");
    const forged = Buffer.from(JSON.stringify({ ...checkpoint, prev_hash: "00".repeat(32) })).toString(
      "base64url",
    );
    expect(await signer.verify(`${header}.${forged}.${signature}`)).toBeNull();
  });

  it("still verifies after one key rotation, not after the signing key has left the file", async () => {
    const { path, signer } = await signerWithFile();
    const token = await signer.sign(checkpoint);
    await rotateSigningKeys(path);
    expect(await signer.verify(token)).toEqual(checkpoint);
    await rotateSigningKeys(path);
    expect(await signer.verify(token)).toBeNull();
  });
});
