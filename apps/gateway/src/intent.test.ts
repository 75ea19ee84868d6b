import { describe, expect, it } from "vitest";
import { checkIntent, type IntentGrant, resourceOfPath } from "./intent.js";
import { GatewayRefusal } from "./problem.js";

const read = (resource: string): IntentGrant => ({ action: "read", resource, methods: ["GET", "HEAD"] });
const list = (resource: string): IntentGrant => ({ action: "list", resource, methods: ["GET"] });

function refusal(fn: () => unknown): GatewayRefusal {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayRefusal) return error;
    throw error;
  }
  throw new Error("not refused");
}

const get = (rawPath: string, rawQuery?: string, s3 = false) => ({ method: "GET", rawPath, rawQuery, s3 });

describe("path against the intent's resource", () => {
  it("admits the resource itself, and what is under a prefix", () => {
    expect(checkIntent(get("repos/acme/app/issues"), read("repos/acme/app/issues")).resource).toBe(
      "repos/acme/app/issues",
    );
    expect(checkIntent(get("docs/a/b.md"), read("docs/")).resource).toBe("docs/a/b.md");
    expect(checkIntent(get("docs/"), read("docs/")).resource).toBe("docs/");
    expect(checkIntent(get("docs/caf%C3%A9%20x.md"), read("docs/")).resource).toBe("docs/café x.md");
    expect(checkIntent(get("docs/c++/a+b.md"), read("docs/")).resource).toBe("docs/c++/a+b.md");
  });

  it("refuses a neighbour, a parent and a longer name that only starts like the resource", () => {
    for (const [path, intent] of [
      ["repos/acme/app/pulls", "repos/acme/app/issues"],
      ["repos/acme/app/issues/1", "repos/acme/app/issues"],
      ["docs", "docs/"],
      ["docs-secret/x", "docs/"],
      ["", "docs/"],
    ] as const) {
      expect(refusal(() => checkIntent(get(path), read(intent))).reason).toBe("outside_intent");
    }
  });

  it("refuses every path trick by the rule it breaks, and never normalises one into the resource", () => {
    const cases: [string, RegExp][] = [
      ["docs/../secrets/key", /dot_segment/],
      ["docs/./a", /dot_segment/],
      ["docs/%2e%2e/secrets", /dot_segment/],
      ["docs/%2E%2E%2Fsecrets", /encoded_separator/],
      ["docs%2Fa", /encoded_separator/],
      ["docs/a%5C..%5Csecrets", /encoded_separator/],
      ["docs/a\\..\\b", /backslash/],
      ["docs/%252e%252e/secrets", /percent_encoding/],
      ["docs/%C0%AE%C0%AE/secrets", /invalid_utf8/],
      ["docs/%zz", /malformed_escape/],
      ["docs//a", /empty_segment/],
      ["docs/a%00b", /invisible/],
      ["docs/a%E2%80%8Bb", /invisible/],
      ["docs/%EF%BC%8E%EF%BC%8E/x", /lookalike/],
      ["docs/a%E2%88%95b", /lookalike/],
      ["docs/..%3Bx/b", /dot_segment/],
      ["docs/..+/secrets", /dot_segment/],
      ["docs/+.%20+/a", /dot_segment/],
      ["docs/.+;x/a", /dot_segment/],
      ["docs/e%CC%81", /not_nfc/],
    ];
    for (const [path, rule] of cases) {
      const r = refusal(() => checkIntent(get(path), read("docs/")));
      expect(r.reason, path).toBe("outside_intent");
      expect(r.detail, path).toMatch(rule);
    }
  });

  it("checks the method against the intent's action", () => {
    const r = refusal(() => checkIntent({ ...get("docs/a"), method: "DELETE" }, read("docs/")));
    expect(r.detail).toMatch(/method: DELETE/);
    expect(checkIntent({ ...get("docs/a"), method: "HEAD" }, read("docs/")).action).toBe("read");
  });

  it("names the rule, never the path", () => {
    expect(refusal(() => resourceOfPath("docs/../top-secret-name")).detail).not.toContain("top-secret-name");
  });
});

describe("S3: listing is action list on the prefix", () => {
  it("lists under the intent's prefix", () => {
    expect(checkIntent(get("", "list-type=2&prefix=docs%2Fa%2F&delimiter=%2F", true), list("docs/"))).toEqual(
      {
        action: "list",
        resource: "docs/a/",
        listing: true,
      },
    );
  });

  it("refuses a listing outside the prefix, without one, twice over, or as ListObjects v1", () => {
    for (const query of [
      "list-type=2&prefix=other/",
      "list-type=2",
      "list-type=2&prefix=docs/&prefix=x/",
      "prefix=docs/",
      "list-type=2&prefix=docs/../x",
    ]) {
      expect(refusal(() => checkIntent(get("", query, true), list("docs/"))).reason, query).toBe(
        "outside_intent",
      );
    }
  });

  it("keeps list and read apart: a list intent reads no object, a read intent lists nothing", () => {
    expect(refusal(() => checkIntent(get("docs/a.txt", undefined, true), list("docs/"))).detail).toMatch(
      /only lists/,
    );
    expect(
      refusal(() => checkIntent(get("", "list-type=2&prefix=docs/", true), read("docs/"))).detail,
    ).toMatch(/needs an intent with action list/);
    expect(checkIntent(get("docs/a.txt", undefined, true), read("docs/")).listing).toBe(false);
  });

  it("treats list-type on an object as an object read, and the bucket without it as no resource", () => {
    expect(checkIntent(get("docs/a.txt", "list-type=2", true), read("docs/")).resource).toBe("docs/a.txt");
    expect(refusal(() => checkIntent(get("", "acl", true), read("docs/"))).detail).toMatch(/empty/);
  });
});
