import { type Command, EXIT, parse } from "./support/command.js";
import { removeCredentials } from "./support/credentials.js";
import { writeJson } from "./support/io.js";

const HELP = `leash logout — forget the stored token

Usage:
  leash logout [--json]

Deletes $XDG_CONFIG_HOME/leash/credentials.json. LEASH_TOKEN, when set, still applies.

Examples:
  leash logout
`;

export const logout: Command = {
  path: ["logout"],
  summary: "forget the stored token",
  help: HELP,
  async run(argv, io) {
    const { values } = parse(argv, { json: { type: "boolean" } });
    const removed = removeCredentials(io.env);
    if (values.json) writeJson(io, { removed: removed ?? null });
    else io.stdout.write(removed ? `removed ${removed}\n` : "not logged in\n");
    return EXIT.ok;
  },
};
