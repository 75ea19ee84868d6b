import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { createRedactor, SecretInBody, SecretScanner } from "./redact.js";

const SECRET = "sk-live/42+a b";

describe("header redaction", () => {
  const r = createRedactor([SECRET]);
  it("replaces the verbatim secret and every percent-encoding of it, mixed or layered", () => {
    expect(r.header(`Bearer ${SECRET}`)).toBe("Bearer [redacted]");
    expect(r.header(encodeURIComponent(SECRET))).toBe("[redacted]");
    expect(r.header(encodeURIComponent(SECRET).toLowerCase())).toBe("[redacted]");
    expect(r.header("x=sk-live%2f42%2Ba+b;y")).toBe("x=[redacted];y");
    expect(r.header(encodeURIComponent(encodeURIComponent(SECRET)))).toBe("[redacted]");
    expect(r.header("%73%6B-live/42+a b")).toBe("[redacted]");
    expect(r.header(`${SECRET}${SECRET}`)).toBe("[redacted][redacted]");
  });

  it("leaves other values alone", () => {
    expect(r.header("sk-live/43+a b")).toBe("sk-live/43+a b");
    expect(createRedactor([]).header("anything")).toBe("anything");
  });

  it("redacts several secrets, the longest first", () => {
    const two = createRedactor(["abcd", "abcdef"]);
    expect(two.header("abcdef abcd")).toBe("[redacted] [redacted]");
  });
});

async function scan(chunks: string[], secrets = [SECRET]): Promise<string> {
  const out: Buffer[] = [];
  const scanner = new SecretScanner(createRedactor(secrets).bodyPatterns);
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), scanner, async (source) => {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return Buffer.concat(out).toString();
}

describe("body scanning", () => {
  it("relays a body without the secret unchanged, whatever its chunking", async () => {
    expect(await scan(["hello ", "sk-", "live/4", "1 and more"])).toBe("hello sk-live/41 and more");
    expect(await scan(["ends with sk-live"])).toBe("ends with sk-live");
  });

  it("fails before a secret reaches the agent, also split across chunks or percent-encoded", async () => {
    for (const chunks of [
      [`a ${SECRET} b`],
      ["a sk-li", "ve/42+a", " b tail"],
      ["x", encodeURIComponent(SECRET)],
    ]) {
      const out: Buffer[] = [];
      const scanner = new SecretScanner(createRedactor([SECRET]).bodyPatterns);
      const done = pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), scanner, async (source) => {
        for await (const chunk of source) out.push(chunk as Buffer);
      });
      await expect(done).rejects.toBeInstanceOf(SecretInBody);
      expect(Buffer.concat(out).toString()).not.toContain("sk-live/42");
    }
  });
});
