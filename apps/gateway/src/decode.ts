/**
 * Percent-decoding, exactly once, as the contract fixes it: `%XX` escapes become bytes, the bytes must be UTF-8,
 * and nothing else is touched (`+` stays `+`). A malformed escape or invalid UTF-8 (overlong forms included) is
 * a refusal, never a best guess.
 */
export type Decoded =
  | { ok: true; value: string }
  | { ok: false; problem: "malformed_escape" | "invalid_utf8" };

const HEX = /^[0-9A-Fa-f]{2}$/;
// fatal: invalid sequences (overlong `%C0%AE`, lone surrogates, truncated) throw; ignoreBOM: a leading U+FEFF is
// kept, so the resource grammar refuses it rather than the decoder dropping it unseen.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function decodeOnce(raw: string): Decoded {
  if (!raw.includes("%")) return { ok: true, value: raw };
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code !== 0x25) {
      // Node's parser admits only printable ASCII in a request target; anything else is refused before this.
      if (code > 0x7f) return { ok: false, problem: "invalid_utf8" };
      bytes.push(code);
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return { ok: false, problem: "malformed_escape" };
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  try {
    return { ok: true, value: utf8.decode(Uint8Array.from(bytes)) };
  } catch {
    return { ok: false, problem: "invalid_utf8" };
  }
}

/** Whether the raw text escapes a `/` or `\`: which segment the upstream would see is then not what was checked. */
export function escapesSeparator(raw: string): boolean {
  return /%(?:2f|5c)/i.test(raw);
}

/**
 * One query parameter, split at the first `=`, name and value decoded once; `+` is left as it is (SigV4 and the
 * contract treat it literally). Undefined for a malformed escape or invalid UTF-8.
 */
export function parseQuery(raw: string): { name: string; value: string; raw: string }[] | undefined {
  const out: { name: string; value: string; raw: string }[] = [];
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decodeOnce(eq < 0 ? part : part.slice(0, eq));
    const value = decodeOnce(eq < 0 ? "" : part.slice(eq + 1));
    if (!name.ok || !value.ok) return undefined;
    out.push({ name: name.value, value: value.value, raw: part });
  }
  return out;
}

/** RFC 3986 strict encoding (unreserved kept), as SigV4 canonicalises paths and query strings. */
export function encodeStrict(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
