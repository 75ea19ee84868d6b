import { userInfo } from "node:os";
import { mintDevToken } from "@leash/devstack";
import { createLeashClient, LeashApiError } from "@leash/sdk";
import { decodeJwt } from "jose";
import { readDevState } from "./dev-state.js";
import { AuthError, type Command, EXIT, parse, UsageError } from "./support/command.js";
import { devStackApiUrl, readCredentials, writeCredentials } from "./support/credentials.js";
import { duration } from "./support/format.js";
import { errPaint, type Io, outPaint, writeJson } from "./support/io.js";
import { askSecret, readAll } from "./support/prompt.js";

const HELP = `leash login — store the API URL and your token for the other commands

Usage:
  leash login [--api <url>] [--token <jwt> | --token - | --dev [--sub <id>]] [--json]

The token is read from --token, from stdin when it is piped (or with --token -), or asked for on a terminal
without echo. It is checked against the API, then stored in $XDG_CONFIG_HOME/leash/credentials.json
(~/.config/leash/credentials.json by default) with mode 0600. LEASH_TOKEN and LEASH_API_URL override the stored
values for one command. Without --api, the URL is LEASH_API_URL, the stored one, or a running \`pnpm dev\`'s.

Options:
  --api <url>      the Leash API, e.g. https://leash.internal:8080
  --token <jwt>    your workload/OIDC token with the security role; '-' reads it from stdin
  --dev            mint a security token from the running dev stack (development only)
  --sub <id>       with --dev: the subject (default spiffe://dev.local/security/$USER)
  --json           print the result as JSON

Examples:
  leash login --api https://leash.internal:8080 < ~/.secrets/leash-token
  vault read -field=token secret/leash | leash login --api https://leash.internal:8080 --token -
  pnpm -s leash login --dev
`;

/** What the token says about itself; unverified, for display only (the API does the verifying). */
function describe(token: string): { subject: string | null; expiresAt: number | null } {
  try {
    const claims = decodeJwt(token);
    return {
      subject: typeof claims.sub === "string" ? claims.sub : null,
      expiresAt: typeof claims.exp === "number" ? claims.exp * 1000 : null,
    };
  } catch {
    throw new UsageError("the token is not a JWT");
  }
}

async function tokenFrom(io: Io, flag: string | undefined, dev: boolean, sub: string | undefined) {
  if (dev) {
    const state = readDevState();
    return mintDevToken({
      keyFile: state.issuer_key_file,
      issuerUrl: state.issuer_url,
      sub: sub ?? `spiffe://dev.local/security/${userInfo().username}`,
      ttlSeconds: 8 * 3600,
    });
  }
  if (flag !== undefined && flag !== "-") return flag;
  if (flag === "-" || io.stdin.isTTY !== true) return readAll(io);
  return askSecret(io, "token: ");
}

/** Probes a security-only endpoint: 401 means the token is worthless, 403 that it lacks the security role. */
async function probe(
  apiUrl: string,
  token: string,
): Promise<"security" | "no_security_role" | "unreachable"> {
  try {
    await createLeashClient({ baseUrl: apiUrl, token, retries: 1, timeoutMs: 5_000 }).listLeases({
      limit: 1,
    });
    return "security";
  } catch (error) {
    if (error instanceof LeashApiError && error.status === 401)
      throw new AuthError(`the API refused this token: ${error.detail}`);
    if (error instanceof LeashApiError && error.status === 403) return "no_security_role";
    return "unreachable";
  }
}

export const login: Command = {
  path: ["login"],
  summary: "store the API URL and your token",
  help: HELP,
  async run(argv, io) {
    const args = parse(argv, {
      api: { type: "string" },
      token: { type: "string" },
      dev: { type: "boolean" },
      sub: { type: "string" },
      json: { type: "boolean" },
    });
    const v = args.values;
    if (v.dev && v.token !== undefined) throw new UsageError("--dev and --token exclude each other");
    if (v.sub !== undefined && !v.dev) throw new UsageError("--sub needs --dev");
    const apiUrl = (v.api ?? io.env.LEASH_API_URL) || readCredentials(io.env)?.api_url || devStackApiUrl();
    if (!apiUrl) throw new UsageError("no API URL: pass --api <url> (or start `pnpm dev`)");
    if (!/^https?:\/\/[^/]/.test(apiUrl))
      throw new UsageError(`--api must be an http(s) URL, not '${apiUrl}'`);
    const token = await tokenFrom(io, v.token, v.dev === true, v.sub);
    if (!token) throw new UsageError("no token given");
    const { subject, expiresAt } = describe(token);
    if (expiresAt !== null && expiresAt <= Date.now()) throw new AuthError("the token has expired");

    const access = await probe(apiUrl, token);
    const path = writeCredentials(io.env, { api_url: apiUrl.replace(/\/+$/, ""), token });
    if (v.json) {
      writeJson(io, {
        api_url: apiUrl,
        subject,
        expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
        access,
        credentials_file: path,
      });
      return EXIT.ok;
    }
    const p = outPaint(io);
    const until = expiresAt === null ? "" : ` (token valid for ${duration(expiresAt - Date.now())})`;
    io.stdout.write(`logged in to ${p.bold(apiUrl)} as ${p.bold(subject ?? "(no subject)")}${until}\n`);
    io.stdout.write(`credentials stored in ${path}\n`);
    const warn = errPaint(io).yellow;
    if (access === "no_security_role")
      io.stderr.write(
        warn(
          "warning: this identity lacks the security role; leases, exposure, revoke and audit will be refused\n",
        ),
      );
    if (access === "unreachable")
      io.stderr.write(warn(`warning: could not reach ${apiUrl} to check the token; stored it anyway\n`));
    return EXIT.ok;
  },
};
