import { dev } from "./dev.js";
import { devToken } from "./dev-token.js";
import { start } from "./start.js";
import { type Command, EXIT, intFlag, parse, UsageError } from "./support/command.js";

export const startCommand: Command = {
  path: ["start"],
  summary: "run the API and the worker from the environment (production)",
  help: `leash start — run the API and the worker for production

Usage:
  leash start

Configured from the environment (REDIS_URL, LEASH_CONFIG, LEASH_SIGNING_KEY_FILE, PORT, ...; see the README).
If either process exits, the other is stopped and the command exits non-zero so a supervisor restarts both.

Examples:
  REDIS_URL=redis://127.0.0.1:6379 LEASH_CONFIG=/etc/leash/leash.json \\
    LEASH_SIGNING_KEY_FILE=/etc/leash/signing-keys.json pnpm start
`,
  async run(argv) {
    parse(argv, {});
    return start();
  },
};

export const devCommand: Command = {
  path: ["dev"],
  summary: "run the whole development stack on this machine",
  help: `leash dev — the development stack: a private redis-server, the dev identity issuer, the Vault emulator, the
API and the worker

Usage:
  leash dev

Environment: PORT moves the API (default 8080); REDIS_URL uses that Redis instead of a private one. State lives
in .dev/. Stop it with Ctrl-C.

Examples:
  pnpm dev
  PORT=9090 pnpm dev
`,
  async run(argv) {
    parse(argv, {});
    return dev();
  },
};

export const devTokenCommand: Command = {
  path: ["dev", "token"],
  summary: "mint a dev workload token (needs a running `leash dev`)",
  help: `leash dev token — a workload token from the running dev stack's identity issuer

Usage:
  leash dev token --sub <id> [--ttl <seconds>]

Options:
  --sub <id>        the subject, e.g. spiffe://dev.local/agent/demo
  --ttl <seconds>   token lifetime (default 3600)

Examples:
  export AGENT=$(pnpm -s leash dev token --sub spiffe://dev.local/agent/demo)
  export SEC=$(pnpm -s leash dev token --sub spiffe://dev.local/security/me --ttl 600)
`,
  async run(argv) {
    const { values } = parse(argv, { sub: { type: "string" }, ttl: { type: "string" } });
    if (!values.sub) throw new UsageError("--sub <spiffe id or subject> is required");
    await devToken(values.sub, intFlag("ttl", values.ttl, 3600, 31 * 86_400));
    return EXIT.ok;
  },
};
