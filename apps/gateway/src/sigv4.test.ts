import { describe, expect, it } from "vitest";
import type { OutgoingRequest } from "./outgoing.js";
import { GatewayRefusal } from "./problem.js";
import { isSigV4Param, payloadHashOf, signSigV4 } from "./sigv4.js";

const session = {
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: "secret-key-example",
  sessionToken: "session-token-x",
};

describe("SigV4 by the gateway", () => {
  it("signs what is sent, with the session token, and keeps payload hashes it can sign unread", async () => {
    const out: OutgoingRequest = {
      method: "GET",
      host: "s3.example:4566",
      path: "/bucket/docs/a%20b.txt",
      query: ["x-id=GetObject"],
      headers: { accept: "*/*", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER" },
    };
    await signSigV4(out, session, { service: "s3", region: "us-east-1" }, Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(out.headers.host).toBe("s3.example:4566");
    expect(out.headers["x-amz-date"]).toBe("20260102T030405Z");
    expect(out.headers["x-amz-security-token"]).toBe("session-token-x");
    expect(out.headers["x-amz-content-sha256"]).toBe("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    expect(out.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/20260102\/us-east-1\/s3\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
  });

  it("declares an unsigned payload unless the agent declared one the gateway may sign", () => {
    expect(payloadHashOf(undefined)).toBe("UNSIGNED-PAYLOAD");
    expect(payloadHashOf("a".repeat(64))).toBe("a".repeat(64));
    expect(() => payloadHashOf("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")).toThrow(GatewayRefusal);
  });

  it("reserves every X-Amz-* query parameter (presigned URLs) in any case", () => {
    expect(["X-Amz-Signature", "x-amz-credential", "X-AMZ-SECURITY-TOKEN"].every(isSigV4Param)).toBe(true);
    expect(isSigV4Param("prefix")).toBe(false);
  });
});
