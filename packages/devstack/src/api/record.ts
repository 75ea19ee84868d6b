/** One request as the emulator received it, and how it was answered. */
export interface ReceivedRequest {
  readonly at: number;
  readonly method: string;
  /** The request-target exactly as sent: path and query, never decoded. */
  readonly target: string;
  /** The target's path, still percent-encoded. */
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  /** Every header line as sent: names in their original case, duplicates kept, in order. */
  readonly headers: readonly (readonly [string, string])[];
  /** Whether it carried the key, once and exactly. */
  readonly authorized: boolean;
  status: number | undefined;
  /** Response body bytes written so far. */
  bytesOut: number;
  /** The client went away before the response was complete. */
  aborted: boolean;
}

/** Keeps the latest `max` requests in arrival order. */
export class Recorder {
  readonly entries: ReceivedRequest[] = [];

  constructor(private readonly max: number) {}

  add(entry: ReceivedRequest): void {
    if (this.max === 0) return;
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
