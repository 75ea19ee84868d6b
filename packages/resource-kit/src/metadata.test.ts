import { describe, expect, it } from "vitest";
import {
  identifierUrl,
  loadAuthorizationServer,
  protectedResourceMetadata,
  wellKnownUrl,
} from "./metadata.js";

describe("identifierUrl", () => {
  it("keeps https URLs and loopback http as they are (compared verbatim with aud)", () => {
    expect(identifierUrl("resource", "https://tools.example/mcp")).toBe("https://tools.example/mcp");
    expect(identifierUrl("resource", "https://tools.example/")).toBe("https://tools.example/");
    expect(identifierUrl("resource", "http://127.0.0.1:3000/mcp")).toBe("http://127.0.0.1:3000/mcp");
  });

  it("refuses http off loopback, queries, fragments, user information and relative URLs", () => {
    for (const bad of [
      "http://tools.example/mcp",
      "https://tools.example/mcp?x=1",
      "https://tools.example/mcp#f",
      "https://u:p@tools.example/mcp",
      "/mcp",
    ]) {
      expect(() => identifierUrl("resource", bad), bad).toThrow(/resource/);
    }
  });

  it("refuses a resource spelt another way than Leash issues tokens for (its token endpoint refuses those)", () => {
    for (const bad of [
      "https://Tools.example/mcp",
      "https://tools.example:443/mcp",
      "https://tools.example/./mcp",
    ]) {
      expect(() => identifierUrl("resource", bad), bad).toThrow(/resource must be written in normal form/);
    }
  });
});

describe("wellKnownUrl", () => {
  it("inserts the well-known segment between origin and path (RFC 9728 §3.1, RFC 8414 §3.1)", () => {
    expect(wellKnownUrl("https://a.example/mcp", "oauth-protected-resource")).toBe(
      "https://a.example/.well-known/oauth-protected-resource/mcp",
    );
    expect(wellKnownUrl("https://a.example", "oauth-authorization-server")).toBe(
      "https://a.example/.well-known/oauth-authorization-server",
    );
    expect(wellKnownUrl("https://a.example/p", "oauth-authorization-server")).toBe(
      "https://a.example/.well-known/oauth-authorization-server/p",
    );
  });
});

describe("protectedResourceMetadata", () => {
  it("is the resource, its one authorization server and header bearer tokens; extras cannot replace them", () => {
    expect(
      protectedResourceMetadata("https://a.example/mcp", "https://leash.example", {
        resource_name: "docs",
        resource: "https://evil.example",
      }),
    ).toEqual({
      resource_name: "docs",
      resource: "https://a.example/mcp",
      authorization_servers: ["https://leash.example"],
      bearer_methods_supported: ["header"],
    });
  });
});

describe("loadAuthorizationServer", () => {
  const metadata = (body: unknown, status = 200) =>
    (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
  const signal = new AbortController().signal;

  it("reads the JWKS and revocation feed URLs from metadata that names the issuer", async () => {
    const as = await loadAuthorizationServer(
      "https://leash.example",
      metadata({
        issuer: "https://leash.example",
        jwks_uri: "https://leash.example/.well-known/jwks.json",
        leash_revoked_tokens_endpoint: "https://leash.example/oauth/revoked",
      }),
      signal,
    );
    expect(as).toEqual({
      jwksUri: "https://leash.example/.well-known/jwks.json",
      revokedTokensEndpoint: "https://leash.example/oauth/revoked",
    });
  });

  it("refuses metadata for another issuer, malformed metadata and an error status", async () => {
    const other = metadata({ issuer: "https://evil.example", jwks_uri: "https://evil.example/jwks" });
    await expect(loadAuthorizationServer("https://leash.example", other, signal)).rejects.toThrow(
      /another issuer/,
    );
    await expect(
      loadAuthorizationServer("https://leash.example", metadata({ issuer: "https://leash.example" }), signal),
    ).rejects.toThrow(/malformed/);
    await expect(loadAuthorizationServer("https://leash.example", metadata({}, 503), signal)).rejects.toThrow(
      /503/,
    );
  });
});
