import { LeashError } from "@leash/core";
import { describe, expect, it } from "vitest";
import { refusalOf } from "./errors.js";
import { GatewayRefusal } from "./problem.js";

const coded = (code: string, nested = false) => {
  const error = Object.assign(new Error("boom"), { code });
  return nested ? new TypeError("fetch failed", { cause: error }) : error;
};

describe("what a failed forward tells the agent", () => {
  it("504 for every kind of upstream timeout, 502 when it cannot be reached, also behind a cause", () => {
    for (const code of ["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]) {
      expect(refusalOf(coded(code))?.status, code).toBe(504);
    }
    for (const code of ["ECONNREFUSED", "ENOTFOUND", "UND_ERR_SOCKET"]) {
      expect(refusalOf(coded(code, true))?.status, code).toBe(502);
    }
  });

  it("503 when the credential cannot be had, without the provider's words", () => {
    const refusal = refusalOf(new LeashError("provider_unavailable", "vault secret/x: connection refused"));
    expect(refusal).toMatchObject({ status: 503, reason: "gateway_unavailable" });
    expect(refusal?.detail).not.toContain("vault");
  });

  it("keeps a refusal as it is, and leaves unknown errors (an agent gone, a bug) to the caller", () => {
    const own = new GatewayRefusal("outside_intent", "x");
    expect(refusalOf(own)).toBe(own);
    expect(refusalOf(new Error("the agent went away"))).toBeUndefined();
  });
});
