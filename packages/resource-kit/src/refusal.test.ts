import { describe, expect, it } from "vitest";
import { refusalResponse, refuse } from "./refusal.js";

const params = {
  metadataUrl: "https://a.example/.well-known/oauth-protected-resource/mcp",
  dpopAlgorithms: ["ES256", "EdDSA"],
};
const META = 'resource_metadata="https://a.example/.well-known/oauth-protected-resource/mcp"';

describe("refuse", () => {
  it("answers a request without a token 401 with the metadata URL alone (RFC 6750 §3.1, RFC 9728 §5.1)", () => {
    const refusal = refuse(params, { error: null, description: "no access token", dpop: false });
    expect(refusal.status).toBe(401);
    expect(refusal.headers["www-authenticate"]).toBe(`Bearer ${META}`);
  });

  it("adds error=invalid_token when a token was sent", () => {
    const refusal = refuse(params, {
      error: "invalid_token",
      description: "the token has expired",
      dpop: false,
    });
    expect(refusal.status).toBe(401);
    expect(refusal.headers["www-authenticate"]).toBe(
      `Bearer ${META}, error="invalid_token", error_description="the token has expired"`,
    );
  });

  it("answers insufficient_scope 403 naming the scope that would do", () => {
    const refusal = refuse(params, {
      error: "insufficient_scope",
      description: "the token's intent does not cover this request",
      scope: "read:docs/a.md",
      dpop: false,
    });
    expect(refusal.status).toBe(403);
    expect(refusal.headers["www-authenticate"]).toContain('error="insufficient_scope"');
    expect(refusal.headers["www-authenticate"]).toContain('scope="read:docs/a.md"');
  });

  it("leaves out a scope that cannot be written in a challenge rather than escaping it", () => {
    const refusal = refuse(params, {
      error: "insufficient_scope",
      description: "no",
      scope: 'read:a"b',
      dpop: false,
    });
    expect(refusal.headers["www-authenticate"]).not.toContain("scope=");
  });

  it("keeps the Bearer challenge first and puts a DPoP error in a DPoP challenge with the algorithms", () => {
    const refusal = refuse(params, { error: "invalid_dpop_proof", description: "bad proof", dpop: true });
    expect(refusal.headers["www-authenticate"]).toBe(
      `Bearer ${META}, DPoP algs="ES256 EdDSA", ${META}, error="invalid_dpop_proof", error_description="bad proof"`,
    );
  });

  it("fails closed with 503 and Retry-After when revocation cannot be checked", () => {
    const refusal = refuse(params, {
      error: "unavailable",
      description: "revocation view stale",
      dpop: false,
    });
    expect(refusal.status).toBe(503);
    expect(refusal.headers["retry-after"]).toBe("1");
    expect(refusal.headers["www-authenticate"]).toBe(`Bearer ${META}`);
  });
});

describe("refusalResponse", () => {
  it("is JSON that is never cached", async () => {
    const response = refusalResponse(
      refuse(params, { error: "invalid_token", description: "d", dpop: false }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ error: "invalid_token", error_description: "d" });
  });
});
