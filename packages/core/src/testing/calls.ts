/** The port calls a test made, in order ("leases.createPending", "provider.mint"...), shared by all the fakes. */
export class CallLog {
  readonly calls: string[] = [];

  record(call: string): void {
    this.calls.push(call);
  }

  /** The calls whose name starts with one of the prefixes, in order (e.g. `only("leases.", "provider.")`). */
  only(...prefixes: string[]): string[] {
    return this.calls.filter((c) => prefixes.some((p) => c.startsWith(p)));
  }
}
