import { encodeStrict } from "./decode.js";

const REDACTED = "[redacted]";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** `%XX` in either case, behind any number of `%25` layers (double and deeper percent-encoding). */
function escapedByte(byte: number): string {
  const hex = byte.toString(16).toUpperCase().padStart(2, "0");
  const either = [...hex].map((h) => (/[A-F]/.test(h) ? `[${h}${h.toLowerCase()}]` : h)).join("");
  return `%(?:25)*${either}`;
}

/**
 * A pattern matching the secret with each character written as itself or percent-encoded (mixed too), a space
 * also as `+`, a `/` also JSON-escaped (`\/`).
 */
function secretPattern(secret: string): string {
  let out = "";
  for (const ch of secret) {
    const bytes = [...Buffer.from(ch, "utf8")].map(escapedByte).join("");
    const plain = ch === " " ? "(?: |\\+)" : ch === "/" ? "(?:\\/|\\\\\\/)" : escapeRegExp(ch);
    out += `(?:${plain}|${bytes})`;
  }
  return out;
}

/** Shorter base64 runs are left alone: they would turn up in unrelated base64 data (images, hashes). */
const MIN_BASE64 = 16;

/**
 * What base64 (standard and URL alphabets) of any text holding `value` always contains, wherever `value` starts:
 * for each of the three alignments, the characters that depend on `value`'s bytes alone.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const cores = new Set<string>();
  for (const offset of [0, 1, 2]) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    // A first group shared with preceding bytes loses 2 or 3 characters, a last one shared with what follows keeps 1 or 2.
    const start = offset === 0 ? 0 : offset + 1;
    const end = Math.floor(padded.length / 3) * 4 + (padded.length % 3);
    const core = padded.toString("base64").slice(start, end);
    if (core.length < MIN_BASE64) continue;
    cores.add(core).add(core.replaceAll("+", "-").replaceAll("/", "_"));
  }
  return [...cores];
}

/** The secret as the gateway sends it: verbatim (headers), RFC 3986-strict encoded (query parameters). */
function sentForms(secret: string): string[] {
  return [...new Set([secret, encodeStrict(secret)])];
}

/** The byte forms a body is scanned for: as sent, percent-encoded either way in either hex case, JSON-escaped, base64. */
function bodyForms(secret: string): string[] {
  const forms = new Set<string>();
  for (const encoded of [secret, encodeURIComponent(secret), encodeStrict(secret)]) {
    forms.add(encoded).add(encoded.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  }
  forms.add(secret.replaceAll("/", "\\/"));
  for (const sent of sentForms(secret)) for (const core of base64Cores(sent)) forms.add(core);
  return [...forms];
}

export interface Redactor {
  /**
   * The header value with every occurrence of a secret replaced by `[redacted]`: verbatim or percent-encoded
   * (mixed, layered), JSON-escaped, or base64 (either alphabet) of it as sent.
   */
  header(value: string): string;
  /** The byte forms looked for in bodies (see bodyForms). */
  readonly bodyPatterns: readonly Buffer[];
}

const NOTHING: Redactor = { header: (v) => v, bodyPatterns: [] };

/** Secrets shorter than this are not redacted: a 1-3 character "secret" would turn every header into noise. */
const MIN_SECRET = 4;

export function createRedactor(secrets: readonly string[]): Redactor {
  const usable = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET)
    .sort((a, b) => b.length - a.length);
  if (usable.length === 0) return NOTHING;
  const cores = usable.flatMap((s) => sentForms(s).flatMap(base64Cores));
  const pattern = new RegExp([...usable.map(secretPattern), ...cores.map(escapeRegExp)].join("|"), "g");
  const forms = new Set(usable.flatMap(bodyForms));
  return {
    header: (value) => (value.length === 0 ? value : value.replace(pattern, REDACTED)),
    bodyPatterns: [...forms].map((f) => Buffer.from(f, "utf8")),
  };
}

/** The length of the longest end of `data` that begins one of the patterns (a match that may straddle chunks). */
function heldBack(data: Buffer, patterns: readonly Buffer[]): number {
  let keep = 0;
  for (const p of patterns) {
    const max = Math.min(p.length - 1, data.length);
    for (let n = max; n > keep; n--) {
      if (data[data.length - n] === p[0] && data.subarray(data.length - n).equals(p.subarray(0, n))) {
        keep = n;
        break;
      }
    }
  }
  return keep;
}

/**
 * Looks for the secret in a body as it streams, without changing it. `push` returns what may go on to the agent
 * and throws `SecretInBody` instead of passing on a chunk that holds a match (bytes that may begin a match wait
 * for the next chunk); `flush` returns what waited, once the body has ended.
 */
export class BodyScanner {
  private held: Buffer = Buffer.alloc(0);
  /** Bytes passed on to the agent. */
  relayed = 0;

  constructor(private readonly patterns: readonly Buffer[]) {}

  push(chunk: Buffer): Buffer {
    if (this.patterns.length === 0) {
      this.relayed += chunk.length;
      return chunk;
    }
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    for (const p of this.patterns) if (data.includes(p)) throw new SecretInBody();
    const keep = heldBack(data, this.patterns);
    this.held = keep === 0 ? EMPTY : Buffer.from(data.subarray(data.length - keep));
    const out = keep === 0 ? data : data.subarray(0, data.length - keep);
    this.relayed += out.length;
    return out;
  }

  flush(): Buffer {
    const out = this.held;
    this.held = EMPTY;
    this.relayed += out.length;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

export class SecretInBody extends Error {
  override readonly name = "SecretInBody";
  constructor() {
    super("the upstream's response body holds the injected secret: cut before it reached the agent");
  }
}
