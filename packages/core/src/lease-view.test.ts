import { describe, expect, it } from "vitest";
import { observedState } from "./lease-view.js";

describe("observedState: a lease past its expiry is never active", () => {
  it("active until expiresAt, then expired and unconfirmed; expired in store is confirmed", () => {
    expect(observedState({ state: "active", expiresAt: 1000 }, 999)).toEqual({ state: "active" });
    expect(observedState({ state: "active", expiresAt: 1000 }, 1000)).toEqual({
      state: "expired",
      confirmed: false,
    });
    expect(observedState({ state: "expired", expiresAt: 1000 }, 500)).toEqual({
      state: "expired",
      confirmed: true,
    });
  });

  it("other states are shown as stored, past expiry or not", () => {
    for (const state of ["pending", "revoking", "revoke_failed", "revoked", "aborted"] as const) {
      expect(observedState({ state, expiresAt: 1000 }, 2000)).toEqual({ state });
    }
  });
});
