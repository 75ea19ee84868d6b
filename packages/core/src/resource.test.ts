import { posix, win32 } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isCanonicalResource,
  RESOURCE_RULES,
  type ResourceRule,
  resourceCovers,
  resourcePatternWithin,
  resourceProblem,
} from "./resource.js";

const ruleOf = (value: string, kind: "request" | "ceiling" = "request") => resourceProblem(value, kind)?.rule;

describe("the resource grammar names the rule a value breaks", () => {
  const cases: Array<[string, ResourceRule]> = [
    ["", "empty"],
    ["a".repeat(1025), "too_long"],
    ["docs/../secrets/key", "dot_segment"],
    ["docs/./a", "dot_segment"],
    ["..", "dot_segment"],
    ["docs/..", "dot_segment"],
    ["docs/.../x", "dot_segment"],
    ["docs/. ./x", "dot_segment"],
    ["docs/..?x", "dot_segment"],
    ["docs/..#x", "dot_segment"],
    ["docs/..;x/secrets", "dot_segment"],
    ["docs/.?", "dot_segment"],
    ["docs//a", "empty_segment"],
    ["/docs", "empty_segment"],
    ["/", "empty_segment"],
    ["docs//", "empty_segment"],
    ["docs/ /a", "empty_segment"],
    ["docs/%2e%2e/x", "percent_encoding"],
    ["docs/100%", "percent_encoding"],
    ["docs\\..\\x", "backslash"],
    ["docs/a\u0000", "invisible"],
    ["docs/a\tb", "invisible"],
    ["docs/a\u007f", "invisible"],
    ["docs/a\u0085", "invisible"],
    ["docs/\u200b", "invisible"],
    ["docs/\u200e", "invisible"],
    ["docs/\u202e", "invisible"],
    ["docs/\u2060", "invisible"],
    ["docs/\ufeff", "invisible"],
    ["docs/\u00ad", "invisible"],
    ["docs/\u2028", "invisible"],
    ["docs/\u2029", "invisible"],
    ["docs/a\u00a0b", "invisible"],
    ["docs/a\u3000b", "invisible"],
    ["docs/\u034f", "invisible"],
    ["docs/\ufe0f", "invisible"],
    ["docs/\ud800", "invisible"],
    ["docs/\u0378", "invisible"],
    ["docs/\u2024\u2024/x", "lookalike"],
    ["docs/\u2025/x", "lookalike"],
    ["docs/\u2026", "lookalike"],
    ["docs/\ufe52", "lookalike"],
    ["docs/\uff0e\uff0e", "lookalike"],
    ["docs\uff0fx", "lookalike"],
    ["docs\uff3cx", "lookalike"],
    ["docs\ufe68x", "lookalike"],
    ["docs\u2215x", "lookalike"],
    ["docs\u2044x", "lookalike"],
    ["docs\u29f8x", "lookalike"],
    ["docs\u3002x", "lookalike"],
    ["docs/\uff05", "lookalike"],
    ["docs/\u2100", "lookalike"],
    ["docs/\u2488", "lookalike"],
    ["docs/\uff0a", "lookalike"],
    ["docs/\uff1f", "lookalike"],
    ["docs/..\u0301/x", "lookalike"],
    ["docs/.\uff9e", "lookalike"],
    ["\u0301docs", "lookalike"],
    ["docs/\u0338x", "lookalike"],
    ["docs/cafe\u0301", "not_nfc"],
    ["docs/\u212b", "not_nfc"],
    ["docs/*", "wildcard"],
    ["docs/a*b", "wildcard"],
  ];

  const named = cases.map(([value, rule]) => [JSON.stringify(value).slice(0, 32), rule, value] as const);
  it.each(named)("%s breaks %s", (_, rule, value) => {
    expect(ruleOf(value)).toBe(rule);
    const problem = resourceProblem(value, "request");
    expect(problem?.message).toContain(rule);
    expect(problem?.message).toContain(RESOURCE_RULES[rule]);
  });

  it("the message never echoes the value", () => {
    expect(resourceProblem("docs/../secret-name", "request")?.message).not.toContain("secret-name");
  });

  it("accepts canonical resources, including a trailing '/' (a prefix), dots inside names and non-ASCII in NFC", () => {
    for (const value of [
      "docs/a.md",
      "docs/",
      "docs/a/",
      "docs/.well-known/x",
      "docs/a..b",
      "docs/..a",
      "docs/a.",
      "docs/my file.txt",
      "docs/caf\u00e9",
      "docs/\u00e9t\u00e9/\u65e5\u672c",
      "arn:aws:s3:::bucket/key",
      "db/orders?x=1#frag",
      "docs/a?b/c",
      "docs/;..",
      "docs/..a?",
      "docs/\ud83d\ude00",
      "docs/x\u0301",
    ]) {
      expect(resourceProblem(value, "request"), value).toBeNull();
    }
  });

  it("a ceiling may end in '*' or be '*'; a '*' elsewhere is refused", () => {
    expect(ruleOf("*", "ceiling")).toBeUndefined();
    expect(ruleOf("docs/*", "ceiling")).toBeUndefined();
    expect(ruleOf("docs/a/*", "ceiling")).toBeUndefined();
    expect(ruleOf("docs/a.md", "ceiling")).toBeUndefined();
    expect(ruleOf("docs*", "ceiling")).toBeUndefined();
    expect(ruleOf("docs/q3-*", "ceiling")).toBeUndefined();
    expect(ruleOf("docs/.*", "ceiling")).toBe("dot_segment");
    expect(ruleOf("docs/*/x", "ceiling")).toBe("wildcard");
    expect(ruleOf("docs/**", "ceiling")).toBe("wildcard");
    expect(ruleOf("docs/../*", "ceiling")).toBe("dot_segment");
    expect(ruleOf("docs//*", "ceiling")).toBe("empty_segment");
    expect(ruleOf("/*", "ceiling")).toBe("empty_segment");
    expect(ruleOf("docs/%2e/*", "ceiling")).toBe("percent_encoding");
  });

  it("a prefix inside a segment does not cover a mark that would fold into its last character", () => {
    // Under 'docs/\u30ab*', the request 'docs/\u30ab\uff9e' is canonical, but NFKC makes it 'docs/\u30ac'.
    expect(isCanonicalResource("docs/\u30ab\uff9e", "request")).toBe(true);
    expect("docs/\u30ab\uff9e".normalize("NFKC").startsWith("docs/\u30ab")).toBe(false);
    expect(resourceCovers("docs/\u30ab*", "docs/\u30ab\uff9e")).toBe(false);
    expect(resourceCovers("docs/\u30ab*", "docs/\u30ab\u30ab")).toBe(true);
    expect(resourceCovers("docs/e*", "docs/e\u0301")).toBe(false);
  });
});

describe("covering compares canonical strings only", () => {
  it("a request is covered by an equal entry or by a '/*' prefix; a request prefix only by one at least as wide", () => {
    expect(resourceCovers("docs/*", "docs/a")).toBe(true);
    expect(resourceCovers("docs/*", "docs/")).toBe(true);
    expect(resourceCovers("docs/*", "docs/a/")).toBe(true);
    expect(resourceCovers("docs/a/*", "docs/")).toBe(false);
    expect(resourceCovers("docs/a", "docs/a/")).toBe(false);
    expect(resourceCovers("docs/", "docs/")).toBe(true);
    expect(resourceCovers("docs/*", "docs")).toBe(false);
    expect(resourceCovers("docs/*", "docs-secret/x")).toBe(false);
    expect(resourceCovers("docs*", "docs-secret/x")).toBe(true);
    expect(resourceCovers("*", "anything/at/all")).toBe(true);
  });

  it("a non-canonical value on either side covers nothing", () => {
    expect(resourceCovers("docs/*", "docs/../secrets")).toBe(false);
    expect(resourceCovers("docs*", "docs/../x")).toBe(false);
    expect(resourceCovers("docs/../*", "docs/../x")).toBe(false);
    expect(resourceCovers("docs/*", "docs/*")).toBe(false);
  });

  it("a ceiling pattern is within another only if everything it covers, the other covers", () => {
    expect(resourcePatternWithin("docs/a/*", "docs/*")).toBe(true);
    expect(resourcePatternWithin("docs/a", "docs/*")).toBe(true);
    expect(resourcePatternWithin("docs/*", "docs/*")).toBe(true);
    expect(resourcePatternWithin("docs/*", "docs/a/*")).toBe(false);
    expect(resourcePatternWithin("docs/*", "docs/")).toBe(false);
    expect(resourcePatternWithin("*", "docs/*")).toBe(false);
    expect(resourcePatternWithin("docs/../*", "docs/*")).toBe(false);
  });
});

/**
 * Resolutions tools apply to the resource they are handed, each mapping a value to what the tool would serve.
 */
const BASE = new URL("https://tool.example/root/");
// URL parsers drop leading spaces before reading a scheme.
const SCHEME = /^ *[A-Za-z][A-Za-z0-9+.-]*:/;
const TOOLS: Record<string, (value: string) => string> = {
  "path.posix.normalize": (v) => posix.normalize(v),
  // Node prefixes '.\\' when a later segment holds a ':' (so it cannot read as a drive): the same directory.
  "path.win32.normalize": (v) => win32.normalize(v).replace(/^\.\\/, "").replaceAll("\\", "/"),
  // The whole URL, so that leaving the tool's origin (a scheme in the first segment) is leaving the prefix.
  "WHATWG URL resolution": (v) => decodeURIComponent(new URL(v, BASE).href),
  "percent-decoding, then path.posix.normalize": (v) => posix.normalize(decodeURIComponent(v)),
  "percent-decoding twice, then WHATWG URL resolution": (v) =>
    decodeURIComponent(new URL(decodeURIComponent(decodeURIComponent(v)), BASE).href),
  "NFKC, then path.posix.normalize": (v) => posix.normalize(v.normalize("NFKC")),
  "NFKC, backslash as '/', then path.posix.normalize": (v) =>
    posix.normalize(v.normalize("NFKC").replaceAll("\\", "/")),
  "diacritics stripped (NFKD without marks), then path.posix.normalize": (v) =>
    posix.normalize(v.normalize("NFKD").replace(/\p{M}/gu, "")),
  "control and default-ignorable characters removed, then path.posix.normalize": (v) =>
    posix.normalize(v.replace(/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, "")),
};

/** Pieces that spell the known tricks, mixed with ordinary characters. */
const PIECES = [
  ..."abcXYZ019-_~:;@!$&'()+,= ?#[]{}|^`\"<>",
  ".",
  "..",
  "...",
  "/",
  "//",
  "\\",
  "%",
  "%2e",
  "%2E%2e",
  "%2f",
  "%5c",
  "%252e",
  "%u002e",
  "\u0000",
  "\t",
  "\n",
  "\r",
  "\u007f",
  "\u00a0",
  "\u00ad",
  "\u034f",
  "\u200b",
  "\u200d",
  "\u202e",
  "\u2060",
  "\ufeff",
  "\u2024",
  "\u2025",
  "\u2026",
  "\ufe52",
  "\uff0e",
  "\uff0f",
  "\uff3c",
  "\ufe68",
  "\u2215",
  "\u2044",
  "\u3002",
  "\uff61",
  "\uff05",
  "\u0301",
  "\u0338",
  "\uff9e",
  "e\u0301",
  "\u00e9",
  "\u212b",
  "\u30ab",
  "\u65e5",
  "\ud83d\ude00",
  "\ud800",
  "*",
  "C:",
  "http:",
];
const piece = fc.constantFrom(...PIECES);
const noisy = fc.array(fc.oneof(piece, fc.string({ unit: "grapheme", maxLength: 3 })), { maxLength: 12 });
const segment = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(..."abcxyz019-_.~: ") },
      { weight: 1, arbitrary: piece },
    ),
    {
      minLength: 1,
      maxLength: 6,
    },
  )
  .map((p) => p.join(""));
/**
 * Ceiling prefixes that are canonical, ending at a '/' ('docs/', 'a/b/') or inside a segment ('docs', 'a/b'), so the
 * property is about the requests under them.
 */
const prefix = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([s, boundary]) => (boundary ? `${s.join("/")}/` : s.join("/")))
  .filter((p) => isCanonicalResource(`${p}*`, "ceiling"));

describe("property: no accepted request under a ceiling prefix P* resolves outside P in any tool", () => {
  for (const [tool, resolve] of Object.entries(TOOLS)) {
    it(tool, () => {
      fc.assert(
        fc.property(prefix, noisy, (p, rest) => {
          const resource = p + rest.join("");
          fc.pre(resourceCovers(`${p}*`, resource));
          // A first segment such as 'http:' makes the ceiling itself an absolute URL: the orchestrator's choice,
          // and every request under it shares that first segment (see below). Here P is a path.
          fc.pre(!SCHEME.test(p));
          expect(resolve(resource).startsWith(resolve(p))).toBe(true);
        }),
        { numRuns: Number(process.env.RESOURCE_RUNS ?? 3000) },
      );
    });
  }

  it("every accepted request under P* keeps P's first segment (or adds no ':' to it), so a URL scheme in it is the ceiling's own", () => {
    fc.assert(
      fc.property(prefix, noisy, (p, rest) => {
        const resource = p + rest.join("");
        fc.pre(resourceCovers(`${p}*`, resource));
        const first = resource.split("/")[0] ?? "";
        if (p.includes("/")) expect(first).toBe(p.split("/")[0]);
        else expect(first.startsWith(p) && !first.slice(p.length).includes(":")).toBe(true);
      }),
    );
  });

  it("accepted values are fixed points of path normalisation and NFC, and hold none of the refused characters", () => {
    fc.assert(
      fc.property(noisy, (parts) => {
        const value = parts.join("");
        if (!isCanonicalResource(value, "request")) return;
        expect(posix.normalize(value)).toBe(value);
        expect(value.normalize("NFC")).toBe(value);
        expect(value).not.toMatch(/[%\\*]|^\/|\/\/|(^|\/)\.\.?(\/|$)/);
      }),
      { numRuns: 5000 },
    );
  });

  it("the checker never throws and always answers with a known rule", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 64 }),
        fc.constantFrom("request", "ceiling"),
        (v, k) => {
          const problem = resourceProblem(v, k as "request" | "ceiling");
          if (problem) expect(Object.keys(RESOURCE_RULES)).toContain(problem.rule);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("a sub-ceiling within P* covers only requests P* covers", () => {
    fc.assert(
      fc.property(prefix, fc.array(segment, { maxLength: 2 }), noisy, (parent, deeper, rest) => {
        const child = parent + deeper.map((s) => `${s}/`).join("");
        const resource = child + rest.join("");
        fc.pre(resourcePatternWithin(`${child}*`, `${parent}*`) && resourceCovers(`${child}*`, resource));
        expect(resourceCovers(`${parent}*`, resource)).toBe(true);
      }),
    );
  });
});
