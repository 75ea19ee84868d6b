import { describe, expect, it } from "vitest";
import { oauthEndpoints } from "./endpoints.js";

describe("OAuth endpoints under LEASH_PUBLIC_URL", () => {
  it("hang every URL off the issuer, and serve the metadata at the well-known path (RFC 8414 §3.1)", () => {
    expect(oauthEndpoints("https://leash.example")).toEqual({
      issuer: "https://leash.example",
      authorization: "https://leash.example/oauth/authorize",
      token: "https://leash.example/oauth/token",
      revocation: "https://leash.example/oauth/revoke",
      introspection: "https://leash.example/oauth/introspect",
      revocations: "https://leash.example/oauth/revocations",
      jwks: "https://leash.example/.well-known/jwks.json",
      mcp: "https://leash.example/mcp",
      metadataPath: "/.well-known/oauth-authorization-server",
    });
  });

  it("insert the well-known segment before the issuer's path, and drop a trailing slash", () => {
    const endpoints = oauthEndpoints("https://h.example/p/");
    expect(endpoints.issuer).toBe("https://h.example/p");
    expect(endpoints.token).toBe("https://h.example/p/oauth/token");
    expect(endpoints.metadataPath).toBe("/.well-known/oauth-authorization-server/p");
  });
});
