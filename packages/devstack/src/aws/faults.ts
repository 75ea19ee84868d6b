import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { AwsError, type AwsService } from "./errors.js";

const ServiceName = z.enum(["sts", "iam", "s3"]);
const Service = z.union([ServiceName, z.array(ServiceName).min(1)]).optional();
/** One service, several (e.g. the control planes but not the S3 data plane), or all of them when absent. */
export type ServiceScope = AwsService | readonly AwsService[] | undefined;

/** The body of `POST /__admin/faults`; `service` limits a fault to some services (all of them when absent). */
export const FaultSpec = z.union([
  z.strictObject({
    fail_next: z.number().int().min(1).max(10_000),
    code: z.enum(["Throttling", "ServiceUnavailable"]),
    service: Service,
  }),
  z.strictObject({ latency_ms: z.number().int().min(0).max(60_000), service: Service }),
  z.strictObject({ unavailable_for_ms: z.number().int().min(1).max(3_600_000), service: Service }),
]);
export type FaultSpec = z.infer<typeof FaultSpec>;
export type FaultCode = "Throttling" | "ServiceUnavailable";

/**
 * The errors the real services send under load: STS and IAM throttle with 400 `Throttling` / `Rate exceeded`
 * (the awsQuery throttling code the SDK retries), S3 with 503 `SlowDown`; an outage is 503 `ServiceUnavailable`.
 */
function faultError(code: FaultCode, service: AwsService): AwsError {
  if (code === "Throttling") {
    return service === "s3"
      ? new AwsError("SlowDown", 503, "Please reduce your request rate.")
      : new AwsError("Throttling", 400, "Rate exceeded");
  }
  return new AwsError("ServiceUnavailable", 503, "Service is unable to handle request.");
}

interface Failing {
  remaining: number;
  code: FaultCode;
  service: ServiceScope;
}

const covers = (scope: ServiceScope, service: AwsService) =>
  scope === undefined || (typeof scope === "string" ? scope === service : scope.includes(service));

/** Fault injection, shared by the admin endpoint and in-process callers. Times are real time. */
export class Faults {
  private failing: Failing[] = [];
  private latency: { ms: number; service: ServiceScope } | undefined;
  private outage: { until: number; service: ServiceScope } | undefined;

  apply(spec: FaultSpec): void {
    if ("fail_next" in spec) this.failNext(spec.fail_next, spec.code, spec.service);
    else if ("latency_ms" in spec) this.setLatency(spec.latency_ms, spec.service);
    else this.unavailableFor(spec.unavailable_for_ms, spec.service);
  }

  /** The next `count` requests (to the services in scope, or to any) fail with `code`. */
  failNext(count: number, code: FaultCode, service?: ServiceScope): void {
    this.failing.push({ remaining: count, code, service });
  }

  setLatency(ms: number, service?: ServiceScope): void {
    this.latency = ms > 0 ? { ms, service } : undefined;
  }

  unavailableFor(ms: number, service?: ServiceScope): void {
    this.outage = { until: Date.now() + ms, service };
  }

  clear(): void {
    this.failing = [];
    this.latency = undefined;
    this.outage = undefined;
  }

  /** Applies latency, then returns the error this request must fail with, if any. */
  async before(service: AwsService): Promise<AwsError | undefined> {
    if (this.latency && covers(this.latency.service, service)) await delay(this.latency.ms);
    if (this.outage && covers(this.outage.service, service)) {
      if (Date.now() < this.outage.until) return faultError("ServiceUnavailable", service);
      this.outage = undefined;
    }
    const hit = this.failing.find((f) => covers(f.service, service));
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.failing = this.failing.filter((f) => f !== hit);
    return faultError(hit.code, service);
  }
}
