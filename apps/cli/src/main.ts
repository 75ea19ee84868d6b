import { LeashApiError, LeashConnectionError } from "@leash/sdk";
import { auditExport } from "./commands/audit-export.js";
import { auditTail } from "./commands/audit-tail.js";
import { auditVerify } from "./commands/audit-verify.js";
import { devCommand, devTokenCommand, startCommand } from "./commands/dev-commands.js";
import { devstackCommand } from "./commands/devstack.js";
import { exposure } from "./commands/exposure.js";
import { keysRotate } from "./commands/keys-rotate.js";
import { leasesLs } from "./commands/leases-ls.js";
import { login } from "./commands/login.js";
import { logout } from "./commands/logout.js";
import { policyTest } from "./commands/policy-test.js";
import { policyValidate } from "./commands/policy-validate.js";
import { policyWhatIf } from "./commands/policy-what-if.js";
import { revoke } from "./commands/revoke.js";
import { shardsMigrate } from "./commands/shards-migrate.js";
import { AuthError, type Command, EXIT, UsageError, wantsHelp } from "./commands/support/command.js";
import { errPaint, type Io, processIo } from "./commands/support/io.js";

const COMMANDS: readonly Command[] = [
  startCommand,
  devCommand,
  devTokenCommand,
  devstackCommand,
  keysRotate,
  login,
  logout,
  leasesLs,
  exposure,
  revoke,
  auditTail,
  auditVerify,
  auditExport,
  policyValidate,
  policyTest,
  policyWhatIf,
  shardsMigrate,
];

/** Wide enough for the longest command path, so summaries line up with a gap after it. */
const PATH_WIDTH = Math.max(...COMMANDS.map((c) => c.path.join(" ").length)) + 2;

const HELP = `leash — just-in-time credentials for AI agents

Usage:
  leash <command> [options]        every command takes --help; API commands take --json

Commands:
${COMMANDS.map((c) => `  ${c.path.join(" ").padEnd(PATH_WIDTH)} ${c.summary}`).join("\n")}

Exit codes: 0 ok, 1 failure, 2 usage error, 3 not logged in or not allowed.
Environment: LEASH_API_URL and LEASH_TOKEN override \`leash login\`; NO_COLOR turns colour off.

Examples:
  pnpm dev
  pnpm -s leash dev token --sub spiffe://dev.local/agent/demo
  leash login --api https://leash.internal:8080 < token.jwt
  leash exposure spiffe://example.org/agent/etl
  leash revoke --agent spiffe://example.org/agent/etl --reason "suspected injection" --dry-run
  leash audit verify
  leash policy what-if ./policies-next --since 24h
`;

/** The command whose words are the longest prefix of the arguments (so `dev token` wins over `dev`). */
function find(argv: string[]): { command: Command; rest: string[] } | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  let best: Command | undefined;
  for (const c of COMMANDS)
    if (c.path.every((w, i) => words[i] === w) && c.path.length > (best?.path.length ?? 0)) best = c;
  if (!best) return undefined;
  const rest = [...argv];
  rest.splice(argv.indexOf(best.path[0] ?? ""), best.path.length);
  return { command: best, rest };
}

function groupHelp(word: string): string | undefined {
  const members = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === word);
  if (members.length === 0) return undefined;
  return `Usage:\n${members.map((c) => `  leash ${c.path.join(" ").padEnd(PATH_WIDTH)} ${c.summary}`).join("\n")}\n\nSee \`leash ${word} <command> --help\`.\n`;
}

function report(io: Io, error: unknown, command: Command | undefined): number {
  const p = errPaint(io);
  const say = (text: string) => io.stderr.write(`${p.red("leash:")} ${text}\n`);
  if (error instanceof UsageError) {
    say(error.message);
    io.stderr.write(`see \`leash ${command ? `${command.path.join(" ")} ` : ""}--help\`\n`);
    return EXIT.usage;
  }
  if (error instanceof AuthError) {
    say(error.message);
    return EXIT.auth;
  }
  if (error instanceof LeashApiError) {
    say(`${error.title}: ${error.detail || `HTTP ${error.status}`}`);
    for (const reason of error.reasons ?? []) io.stderr.write(`  - ${reason}\n`);
    if (error.request_id) io.stderr.write(p.dim(`  request id ${error.request_id}\n`));
    if (error.status === 401) io.stderr.write("  your token was refused: run `leash login` again\n");
    return error.status === 401 || error.status === 403 ? EXIT.auth : EXIT.failure;
  }
  say(error instanceof Error ? error.message : String(error));
  if (error instanceof LeashConnectionError)
    io.stderr.write("  is the API running? check LEASH_API_URL or `leash login --api`\n");
  return EXIT.failure;
}

async function main(argv: string[], io: Io): Promise<number> {
  const found = find(argv);
  if (!found) {
    const [first] = argv;
    if (first === "--help" || first === "-h" || first === "help") {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    const group = first === undefined ? undefined : groupHelp(first);
    if (group && wantsHelp(argv)) {
      io.stdout.write(group);
      return EXIT.ok;
    }
    if (first !== undefined && !group)
      io.stderr.write(`leash: unknown command '${argv.filter((a) => !a.startsWith("-")).join(" ")}'\n\n`);
    io.stderr.write(group ?? HELP);
    return EXIT.usage;
  }
  const { command, rest } = found;
  if (wantsHelp(rest)) {
    io.stdout.write(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return report(io, error, command);
  }
}

// `leash audit export | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(EXIT.ok);
  throw error;
});

/** Exits once stdout and stderr are flushed: on some platforms pipe writes are asynchronous and would be cut. */
function exit(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2), processIo()).then(exit, (error: Error) => {
  process.stderr.write(`leash: ${error.message}\n`);
  exit(EXIT.failure);
});
