import { rotateSigningKeys } from "@leash/providers";
import { type Command, EXIT, parse, UsageError } from "./support/command.js";

const HELP = `leash keys rotate — add a new task-token signing key, keeping the previous one

Usage:
  leash keys rotate --file <path>

Creates the key file (mode 0600) when it does not exist. The previous key stays published in the JWKS, so tokens
signed with it keep verifying until they expire; the API re-reads the file when it changes.

Examples:
  pnpm leash keys rotate --file /etc/leash/signing-keys.json
`;

export const keysRotate: Command = {
  path: ["keys", "rotate"],
  summary: "add a new task-token signing key, keeping the previous one",
  help: HELP,
  async run(argv, io) {
    const { values } = parse(argv, { file: { type: "string" } });
    if (!values.file) throw new UsageError("--file <path> is required");
    const kid = await rotateSigningKeys(values.file);
    io.stdout.write(`new signing key ${kid} written to ${values.file}; the previous key stays published\n`);
    return EXIT.ok;
  },
};
