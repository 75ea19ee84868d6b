import { startDevAws, startDevVault } from "@leash/devstack";
import { type Command, EXIT, parse, UsageError } from "./support/command.js";
import { colorEnabled, type Io, paint } from "./support/io.js";

function portFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    throw new UsageError(`--${name} must be a port (0 = any free)`);
  return Number(value);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
}

/** `leash devstack`: the Vault and STS/IAM/S3 emulators alone, for trying providers or other tools against them. */
async function runDevstack(vaultPort: number, awsPort: number, json: boolean, io: Io): Promise<number> {
  const vault = await startDevVault(vaultPort);
  const aws = await startDevAws(awsPort);
  const summary = {
    vault: { url: vault.emulator.url, root_token: vault.emulator.rootToken, provider: vault.providerConfig },
    aws: {
      url: aws.emulator.url,
      access_key_id: aws.emulator.rootAccessKeyId,
      secret_access_key: aws.emulator.rootSecretAccessKey,
      region: "us-east-1",
      provider: aws.providerConfig,
    },
  };
  if (json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const p = paint(colorEnabled(io.stdout, io.env));
    io.stdout.write(`${p.bold("Leash development emulators")} (development only: these keys guard nothing real)

${p.cyan("Vault")}        ${vault.emulator.url}
  export VAULT_ADDR=${vault.emulator.url} VAULT_TOKEN=${vault.emulator.rootToken}
  curl -s $VAULT_ADDR/v1/sys/health

${p.cyan("STS/IAM/S3")}   ${aws.emulator.url}
  export AWS_ENDPOINT_URL=${aws.emulator.url} AWS_REGION=us-east-1 \\
    AWS_ACCESS_KEY_ID=${aws.emulator.rootAccessKeyId} AWS_SECRET_ACCESS_KEY=${aws.emulator.rootSecretAccessKey}
  aws sts get-caller-identity

${p.cyan("Faults")} (both emulators, under /__admin/):
  curl -s -XPOST ${vault.emulator.url}/__admin/faults -d '{"unavailable_for_ms":30000}'
  curl -s -XPOST ${aws.emulator.url}/__admin/faults -d '{"latency_ms":2000}'
  curl -s -XDELETE ${aws.emulator.url}/__admin/faults

Provider sections for LEASH_CONFIG: \`leash devstack --json\`. Stop with Ctrl-C.
`);
  }
  await untilSignal();
  await Promise.all([vault.emulator.stop(), aws.emulator.stop()]);
  return EXIT.ok;
}

export const devstackCommand: Command = {
  path: ["devstack"],
  summary: "run the Vault and STS/IAM/S3 emulators alone",
  help: `leash devstack — the protocol-faithful Vault and STS/IAM/S3 emulators, standalone

Usage:
  leash devstack [--vault-port <port>] [--aws-port <port>] [--json]

Options:
  --vault-port <port>  Vault emulator port (default 8200; 0 = any free port)
  --aws-port <port>    STS/IAM/S3 emulator port (default 4566; 0 = any free port)
  --json               print one JSON line: URLs, dev credentials and LEASH_CONFIG provider sections

The unmodified node-vault, Vault CLI and AWS SDK/CLI clients work against them. Both accept fault injection
under /__admin/faults (fail the next N calls, add latency, go unavailable for a while). Development only.

Examples:
  pnpm leash devstack
  pnpm -s leash devstack --vault-port 0 --aws-port 0 --json
`,
  async run(argv, io) {
    const { values } = parse(argv, {
      "vault-port": { type: "string" },
      "aws-port": { type: "string" },
      json: { type: "boolean" },
    });
    return runDevstack(
      portFlag("vault-port", values["vault-port"], 8200),
      portFlag("aws-port", values["aws-port"], 4566),
      values.json === true,
      io,
    );
  },
};
