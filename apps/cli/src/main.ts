import { parseArgs } from "node:util";
import { rotateSigningKeys } from "@leash/providers";
import { dev } from "./commands/dev.js";
import { devToken } from "./commands/dev-token.js";
import { start } from "./commands/start.js";

const HELP = `leash — just-in-time credentials for AI agents

Usage:
  leash start                      run the API and the worker from the environment (production)
  leash dev                        run the whole development stack on this machine
  leash dev token --sub <id>       mint a dev workload token (needs a running \`leash dev\`)
        [--ttl <seconds>]          token lifetime (default 3600)
  leash keys rotate --file <path>  add a new task-token signing key, keeping the previous one

Examples:
  pnpm dev
  pnpm -s leash dev token --sub spiffe://dev.local/agent/demo
  pnpm leash keys rotate --file /etc/leash/signing-keys.json
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      sub: { type: "string" },
      ttl: { type: "string" },
      file: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, sub] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  if (command === "start") return start();
  if (command === "dev" && sub === "token") {
    if (!values.sub) throw new Error("--sub <spiffe id or subject> is required");
    await devToken(values.sub, Number(values.ttl ?? 3600));
    return 0;
  }
  if (command === "dev") return dev();
  if (command === "keys" && sub === "rotate") {
    if (!values.file) throw new Error("--file <path> is required");
    const kid = await rotateSigningKeys(values.file);
    process.stdout.write(
      `new signing key ${kid} written to ${values.file}; the previous key stays published\n`,
    );
    return 0;
  }
  process.stderr.write(`leash: unknown command '${positionals.join(" ")}'\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`leash: ${error.message}\n`);
    process.exit(1);
  },
);
