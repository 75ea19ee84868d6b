import { LeashError } from "@leash/core";
import { describe, expect, it } from "vitest";
import { isTransient, toLeashError } from "./errors.js";

const sdkError = (name: string, status?: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });

describe("toLeashError: remote failures in Leash's vocabulary (STYLE: errors are data)", () => {
  it.each([
    ["Throttling", 400, "provider_unavailable", true],
    ["ServiceUnavailable", 503, "provider_unavailable", true],
    ["InternalFailure", 500, "provider_unavailable", true],
    ["TimeoutError", undefined, "provider_unavailable", true],
    ["AccessDenied", 403, "provider_access_denied", false],
    ["MalformedPolicyDocumentException", 400, "provider_rejected", false],
    ["PackedPolicyTooLargeException", 400, "provider_rejected", false],
    ["ValidationError", 400, "provider_rejected", false],
    ["RegionDisabledException", 403, "provider_unavailable", false],
    ["ExpiredToken", 403, "provider_unavailable", true],
    ["SomethingNew", 400, "provider_unavailable", true],
  ] as const)("%s (HTTP %s) -> %s, retry %s", (name, status, code, retry) => {
    const e = toLeashError(sdkError(name, status), "sts:AssumeRole");
    expect(e).toBeInstanceOf(LeashError);
    expect(e.code).toBe(code);
    expect(e.retry).toBe(retry);
    expect(e.message).toMatch(/^aws-sts: sts:AssumeRole failed: /);
  });

  it("maps network failures by their errno code", () => {
    const e = toLeashError(
      Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
      "iam:PutRolePolicy",
    );
    expect(e).toMatchObject({ code: "provider_unavailable", retry: true });
    expect(e.message).toContain("iam:PutRolePolicy failed: ECONNREFUSED");
  });

  it("retries throttling and server failures only", () => {
    expect(isTransient(sdkError("Throttling", 400))).toBe(true);
    expect(isTransient(sdkError("Whatever", 502))).toBe(true);
    expect(isTransient(sdkError("AccessDenied", 403))).toBe(false);
    expect(isTransient(sdkError("TimeoutError"))).toBe(false);
  });
});
