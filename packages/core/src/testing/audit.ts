import type { AuditEvent, AuditSink } from "../audit.js";
import { CallLog } from "./calls.js";

export class RecordingAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];

  constructor(private readonly log = new CallLog()) {}

  async append(event: AuditEvent): Promise<void> {
    this.log.record(`audit.${event.type}`);
    this.events.push(event);
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  last(type: string): AuditEvent | undefined {
    return this.events.findLast((e) => e.type === type);
  }
}
