/**
 * Every credential value seen during a run, by kind, with the forms it could take in text: as is, escaped inside
 * JSON, URL-encoded, and for a JWT its signature alone (a log line that cut the token would still carry it).
 */
export class SecretBook {
  readonly #forms = new Map<string, string>();
  readonly #kinds = new Map<string, number>();

  add(kind: string, value: unknown): void {
    if (typeof value !== "string" || value.length < 8) throw new Error(`${kind}: not a credential value`);
    this.#kinds.set(kind, (this.#kinds.get(kind) ?? 0) + 1);
    const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
    const parts = value.split(".");
    if (parts.length === 3 && (parts[2]?.length ?? 0) >= 16) forms.add(parts[2] ?? "");
    for (const form of forms) this.#forms.set(form, kind);
  }

  /** How many values of each kind were recorded, to show the scan had something to look for. */
  get kinds(): Record<string, number> {
    return Object.fromEntries(this.#kinds);
  }

  /** The kinds of credential found in `text` (never the values, so a failure does not print them). */
  foundIn(text: string): string[] {
    const found = new Set<string>();
    for (const [form, kind] of this.#forms) if (text.includes(form)) found.add(kind);
    return [...found].sort();
  }
}
