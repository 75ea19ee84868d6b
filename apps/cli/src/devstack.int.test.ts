import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { ENTRYPOINTS, REPO_ROOT, SOURCE_EXEC_ARGV } from "@leash/devstack";
import { describe, expect, it } from "vitest";

interface Summary {
  vault: { url: string; root_token: string; provider: { address: string } };
  aws: { url: string; access_key_id: string; provider: { endpoint: string } };
}

describe("leash devstack", () => {
  it("runs both emulators standalone, prints how to reach them, and stops on SIGINT", async () => {
    const child = spawn(
      process.execPath,
      [...SOURCE_EXEC_ARGV, ENTRYPOINTS.cli, "devstack", "--vault-port", "0", "--aws-port", "0", "--json"],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      const summary = JSON.parse(line) as Summary;
      expect(summary.vault.provider.address).toBe(summary.vault.url);
      expect(summary.aws.provider.endpoint).toBe(summary.aws.url);

      const health = await fetch(`${summary.vault.url}/v1/sys/health`);
      expect(await health.json()).toMatchObject({ initialized: true, sealed: false });
      const self = await fetch(`${summary.vault.url}/v1/auth/token/lookup-self`, {
        headers: { "x-vault-token": summary.vault.root_token },
      });
      expect(self.status).toBe(200);
      const unsigned = await fetch(summary.aws.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "Action=GetCallerIdentity&Version=2011-06-15",
      });
      expect(unsigned.status).toBe(403);
      expect(await unsigned.text()).toContain("<ErrorResponse");
    } finally {
      child.kill("SIGINT");
    }
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });
});
