import fc from "fast-check";

/** Runs per property; `LEASH_FUZZ_RUNS` raises it (e.g. 1000 for a long soak). */
export const FUZZ_RUNS = Number(process.env.LEASH_FUZZ_RUNS ?? "") || 40;

/** Property names that have broken JavaScript services before (prototype pollution, shadowed methods). */
const NASTY_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", ""];

export const unicodeText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.constantFrom(
    "\u0000",
    "\u202e",
    "\ud800",
    "\ufeff",
    "𝕃𝕖𝕒𝕤𝕙",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
  ),
);

const hugeText = fc.integer({ min: 1_000, max: 100_000 }).map((n) => "A".repeat(n));

/** Nested arrays or objects `depth` levels deep, as JSON text. */
const nested = ([depth, objects]: [number, boolean]) =>
  objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** Deep enough to matter inside a field; deeper still would overflow the generator's own JSON.stringify. */
const deepValue = fc
  .tuple(fc.integer({ min: 50, max: 500 }), fc.boolean())
  .map((shape) => JSON.parse(nested(shape)) as unknown);

/** A whole body thousands of levels deep (under the body limit): a recursive parser or validator would overflow. */
const deepText = fc.tuple(fc.integer({ min: 1_000, max: 10_000 }), fc.boolean()).map(nested);

/** Values of every JSON type and some that JSON cannot keep (undefined, NaN become null or vanish). */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
  unicodeText,
  hugeText,
  deepValue,
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, true, null, [], {}),
);

/** Values of every JSON type small enough to travel in a header (a token's claims). */
export const smallValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  unicodeText,
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 2 ** 53, true, null, [], {}, "", "none", "leash"),
);

type Json = unknown;

function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...at, i]));
  } else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

type Mutation =
  | { kind: "replace"; value: unknown }
  | { kind: "delete" }
  | { kind: "extra"; key: string; value: unknown }
  | { kind: "whole"; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), value: anyValue }),
  fc.record({ kind: fc.constant("delete" as const) }),
  fc.record({
    kind: fc.constant("extra" as const),
    key: fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 16 })),
    value: anyValue,
  }),
  fc.record({ kind: fc.constant("whole" as const), value: anyValue }),
);

/** Sets an own property, even `__proto__` (an assignment would change the prototype instead). */
function define(holder: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(holder, key, { value, enumerable: true, writable: true, configurable: true });
}

function apply(body: Json, path: (string | number)[], m: Mutation): Json {
  if (m.kind === "whole") return m.value;
  const copy = structuredClone(body) as Record<string, unknown>;
  if (path.length === 0) {
    if (m.kind === "replace") return m.value;
    if (m.kind === "delete") return {};
    define(copy, m.key, m.value);
    return copy;
  }
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const key = path.at(-1) as string | number;
  if (m.kind === "replace") define(parent, String(key), m.value);
  else if (m.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else {
    const holder = parent[key];
    if (holder !== null && typeof holder === "object" && !Array.isArray(holder))
      define(holder as Record<string, unknown>, m.key, m.value);
    else if (Array.isArray(parent)) parent.push(m.value);
    else define(parent, m.key, m.value);
  }
  return copy;
}

/** A valid body with one thing wrong: a field of another type, missing, an extra field, or the whole body. */
function mutated(valid: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return valid.chain((body) =>
    fc.tuple(fc.constantFrom(...paths(body)), mutation).map(([path, m]) => apply(body, path, m)),
  );
}

/** What goes over the wire: JSON of a mutated valid body, JSON of anything, or text that is not JSON at all. */
export function bodyText(valid: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  const asJson = (v: unknown) => JSON.stringify(v) ?? "null";
  return fc.oneof(
    { weight: 4, arbitrary: mutated(valid).map(asJson) },
    { weight: 1, arbitrary: valid.map(asJson) },
    { weight: 2, arbitrary: anyValue.map(asJson) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    { weight: 1, arbitrary: deepText },
    {
      weight: 1,
      arbitrary: valid.chain((v) => fc.nat({ max: asJson(v).length }).map((n) => asJson(v).slice(0, n))),
    },
  );
}

export const contentType = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/json; charset=utf-16",
  "application/jsonx",
  "application/problem+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "*/*",
  "",
);

/** Ids a router or key builder could misread: traversal, encodings, control characters, lengths. */
export const weirdId = fc.oneof(
  fc.constantFrom(
    "..",
    "../..",
    "../../../etc/passwd",
    "..%2f..%2fadmin",
    "%2e%2e%2f",
    "%",
    "%zz",
    "%ff%fe",
    "%C0%AE%C0%AE",
    "%00",
    "a%2Fb",
    "a/b",
    "*",
    "?x=1",
    ";x",
    "tk:{other}:x",
    "a".repeat(129),
    "a".repeat(4_000),
  ),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/),
);

/** A query string of known keys with odd values, unknown keys, repeats and malformed escapes. */
export function queryString(keys: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom("", "-1", "0", "1e309", "NaN", "9".repeat(400), "%", "%zz", "true", "[]", "1-0", "0-0"),
    fc.string({ unit: "grapheme", maxLength: 30 }).map(encodeURIComponent),
    fc.string({ unit: "binary", maxLength: 30 }),
  );
  const key = fc.oneof(fc.constantFrom(...keys, ...keys, "__proto__", "x"), fc.string({ maxLength: 8 }));
  return fc
    .array(fc.tuple(key, value), { maxLength: 5 })
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`));
}

export const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
