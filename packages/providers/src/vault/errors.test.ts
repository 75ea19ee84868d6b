import { describe, expect, it } from "vitest";
import { describeFailure, toLeashError, vaultMessage } from "./errors.js";

describe("vault error mapping (DESIGN: every outbound client maps the remote error to one of our codes)", () => {
  it("403 is provider_access_denied, not retried, naming the call", () => {
    const error = toLeashError("auth/token/create-orphan", {
      status: 403,
      message: vaultMessage("1 error occurred:\n\t* permission denied\n\n"),
    });
    expect(error).toMatchObject({ code: "provider_access_denied", retry: false, status: 403 });
    expect(error.message).toBe("vault auth/token/create-orphan: permission denied");
  });

  it("400 is provider_rejected", () => {
    expect(toLeashError("database/creds/x", { status: 400, message: "unknown role: x" })).toMatchObject({
      code: "provider_rejected",
      retry: false,
    });
  });

  it.each([429, 412, 500, 502, 503])("%i is provider_unavailable with retry", (status) => {
    expect(toLeashError("sys/leases/revoke", { status, message: "Vault is sealed" })).toMatchObject({
      code: "provider_unavailable",
      retry: true,
    });
  });

  it.each([
    ["ECONNREFUSED", "connection refused"],
    ["ECONNABORTED", "timed out"],
  ])("network failure %s is provider_unavailable with retry", (code, words) => {
    const error = toLeashError("auth/token/lookup-self", { code });
    expect(error).toMatchObject({ code: "provider_unavailable", retry: true });
    expect(error.message).toBe(`vault auth/token/lookup-self: ${words}`);
  });

  it("reads only status, message and code from a thrown error, so request headers (the token) never travel on", () => {
    const thrown = Object.assign(new Error("permission denied"), {
      response: { statusCode: 403, body: { errors: ["permission denied"] } },
      config: { headers: { "X-Vault-Token": "hvs.secret" } },
    });
    const failure = describeFailure(thrown);
    expect(failure).toEqual({ status: 403, message: "permission denied" });
    expect(JSON.stringify(toLeashError("x", failure))).not.toContain("hvs.secret");
  });
});
