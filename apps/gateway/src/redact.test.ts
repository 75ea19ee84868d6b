import { describe, expect, it } from "vitest";
import { BodyScanner, createRedactor, SecretInBody } from "./redact.js";

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

function scan(chunks: string[], secrets = [SECRET]): { out: string; error?: unknown } {
  const scanner = new BodyScanner(createRedactor(secrets).bodyPatterns);
  const out: Buffer[] = [];
  try {
    for (const c of chunks) out.push(scanner.push(Buffer.from(c)));
    out.push(scanner.flush());
    return { out: Buffer.concat(out).toString() };
  } catch (error) {
    return { out: Buffer.concat(out).toString(), error };
  }
}

describe("body scanning", () => {
  it("relays a body without the secret unchanged, whatever its chunking", () => {
    expect(scan(["hello ", "sk-", "live/4", "1 and more"])).toEqual({ out: "hello sk-live/41 and more" });
    expect(scan(["ends with sk-live"])).toEqual({ out: "ends with sk-live" });
  });

  it("holds back only what may begin the secret, so a stream's last bytes are not delayed otherwise", () => {
    const scanner = new BodyScanner(createRedactor([SECRET]).bodyPatterns);
    expect(scanner.push(Buffer.from("data: token\n\n")).toString()).toBe("data: token\n\n");
    expect(scanner.push(Buffer.from("then sk-li")).toString()).toBe("then ");
    expect(scanner.flush().toString()).toBe("sk-li");
  });

  it("fails before a secret reaches the agent, also split across chunks or percent-encoded", () => {
    for (const chunks of [
      [`a ${SECRET} b`],
      ["a sk-li", "ve/42+a", " b tail"],
      ["x", encodeURIComponent(SECRET)],
    ]) {
      const { out, error } = scan(chunks);
      expect(error).toBeInstanceOf(SecretInBody);
      expect(out).not.toContain("sk-live/42");
    }
  });
});

describe("other encodings of the secret", () => {
  const secret = "sk!live'(2026)*0123456789/abcdef+XYZ";
  const r = createRedactor([secret]);
  const strict = encodeURIComponent(secret).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

  it("redacts base64 of the secret, as sent in a header or a query, at any alignment and in either alphabet", () => {
    for (const sent of [secret, strict]) {
      for (const before of ["", "B", "Be", "Bearer "]) {
        for (const alphabet of ["base64", "base64url"] as const) {
          const value = Buffer.from(`${before}${sent}!`).toString(alphabet);
          const redacted = r.header(value);
          expect(redacted).toContain("[redacted]");
          const left = Buffer.from(redacted.replaceAll("[redacted]", ""), alphabet).toString("latin1");
          expect(left).not.toContain(sent.slice(4, -4));
        }
      }
    }
  });

  it("redacts the secret JSON-escaped, and finds every such form in a body", () => {
    expect(r.header(`"${secret.replaceAll("/", "\\/")}"`)).toBe('"[redacted]"');
    for (const body of [
      strict,
      strict.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      secret.replaceAll("/", "\\/"),
      Buffer.from(`GET /x?api_key=${strict}`).toString("base64url"),
      Buffer.from(`Bearer ${secret}`).toString("base64"),
    ]) {
      expect(scan(["{", body, "}"], [secret]).error, body).toBeInstanceOf(SecretInBody);
    }
  });

  it("leaves base64 of other text, and short secrets' base64, alone", () => {
    expect(r.header(Buffer.from("sk!live'(2025)*0123456789").toString("base64"))).not.toContain("[redacted]");
    const short = createRedactor(["abcd1234"]);
    expect(short.header(Buffer.from("x abcd1234 y").toString("base64"))).not.toContain("[redacted]");
  });
});
