import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { credentialsPath, readCredentials, resolveCredentials, writeCredentials } from "./credentials.js";
import { colorEnabled } from "./io.js";

describe("credentials", () => {
  it("are stored under $XDG_CONFIG_HOME/leash with mode 0600 in a 0700 directory", () => {
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "leash-cred-")) };
    const path = writeCredentials(env, { api_url: "http://127.0.0.1:8080", token: "t0k" });
    expect(path).toBe(join(env.XDG_CONFIG_HOME, "leash", "credentials.json"));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_CONFIG_HOME, "leash")).mode & 0o777).toBe(0o700);
    expect(readCredentials(env)).toEqual({ api_url: "http://127.0.0.1:8080", token: "t0k" });
  });

  it("default to ~/.config when XDG_CONFIG_HOME is unset or relative (XDG base directory spec)", () => {
    expect(credentialsPath({})).toMatch(/\/\.config\/leash\/credentials\.json$/);
    expect(credentialsPath({ XDG_CONFIG_HOME: "relative" })).toMatch(/\/\.config\/leash\/credentials\.json$/);
  });

  it("are overridden by LEASH_TOKEN and LEASH_API_URL", () => {
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "leash-cred-")) };
    writeCredentials(env, { api_url: "http://stored:1", token: "stored" });
    expect(resolveCredentials(env)).toEqual({ apiUrl: "http://stored:1", token: "stored" });
    expect(resolveCredentials({ ...env, LEASH_TOKEN: "env", LEASH_API_URL: "http://env:2" })).toEqual({
      apiUrl: "http://env:2",
      token: "env",
    });
  });
});

describe("colour (no-color.org)", () => {
  it("only on a terminal, never with NO_COLOR or TERM=dumb", () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false);
  });
});
