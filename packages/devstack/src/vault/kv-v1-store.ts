/** The state of one KV v1 mount: each key holds the JSON object last written to it, nothing more. */
export class KvV1Store {
  readonly entries = new Map<string, Readonly<Record<string, unknown>>>();
}
