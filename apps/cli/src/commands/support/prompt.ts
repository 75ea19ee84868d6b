import { createInterface } from "node:readline";
import type { Io } from "./io.js";

/** Whether a person is there to answer: both the keyboard and the screen are terminals. */
export const interactive = (io: Io): boolean => io.stdin.isTTY === true && io.stderr.isTTY === true;

/** Asks on stderr; true only for an explicit y/yes. */
export function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  return new Promise((resolve) => {
    rl.question(`${question} [y/N] `, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
    rl.once("SIGINT", () => {
      rl.close();
      io.stderr.write("\n");
      resolve(false);
    });
  });
}

/** Reads a secret on a terminal without echoing it. */
export function askSecret(io: Io, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput?: (s: string) => void };
  io.stderr.write(question);
  // readline echoes typed characters through this hook; muting it keeps the token off the screen.
  output._writeToOutput = () => {};
  return new Promise((resolve, reject) => {
    rl.once("line", (line) => {
      rl.close();
      io.stderr.write("\n");
      resolve(line.trim());
    });
    rl.once("SIGINT", () => {
      rl.close();
      reject(new Error("cancelled"));
    });
  });
}

/** All of stdin (a token piped in: `leash login < token.jwt`), trimmed. */
export async function readAll(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8").trim();
}
