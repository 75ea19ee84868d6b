import { describe, expect, it } from "vitest";
import { createLeashClient } from "./client.js";
import { gatewayAwsSigner, gatewayBucket, gatewayFetch, gatewayUrl } from "./gateway.js";
import type { LeaseGrant } from "./types.js";

const credential = { token: "tok", token_type: "Bearer" as const, base_url: "http://gw:8081/u/github/" };
const issued: LeaseGrant = {
  lease_id: "ls_1",
  task_id: "tk_1",
  provider: "gateway",
  state: "active",
  issued_at: "2026-01-01T00:00:00Z",
  expires_at: "2026-01-01T00:05:00Z",
  credential,
};

describe("gateway helpers", () => {
  it("joins the path as written, without resolving dot segments", () => {
    expect(gatewayUrl(credential, "/repos/a/issues?state=open")).toBe(
      "http://gw:8081/u/github/repos/a/issues?state=open",
    );
    expect(gatewayUrl(credential, "docs/../secrets")).toBe("http://gw:8081/u/github/docs/../secrets");
  });

  it("sends only the lease token, replacing any Authorization, and does not follow redirects", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    await gatewayFetch(
      issued,
      "repos/a",
      { headers: { Authorization: "Bearer other" } },
      async (url, init) => {
        seen.push({ url, init });
        return new Response(null, { status: 204 });
      },
    );
    expect(seen[0]?.url).toBe("http://gw:8081/u/github/repos/a");
    expect(new Headers(seen[0]?.init.headers).get("authorization")).toBe("Bearer tok");
    expect(seen[0]?.init.redirect).toBe("manual");
  });

  it("refuses a lease that is not a gateway lease or has no credential yet", () => {
    const jwtLease = { ...issued, credential: { token: "t", token_type: "Bearer" } };
    expect(() => gatewayFetch(jwtLease, "x")).toThrow(/not a gateway lease/);
    expect(() => gatewayFetch({ approval_id: "ap_1", state: "pending_approval" }, "x")).toThrow(/pending/);
  });

  it("signs AWS SDK requests with the lease token instead of SigV4", async () => {
    const request = {
      headers: { Authorization: "AWS4-HMAC-SHA256 ...", host: "gw" } as Record<string, string>,
    };
    const signed = await gatewayAwsSigner(issued).sign(request);
    expect(signed.headers).toEqual({ host: "gw", authorization: "Bearer tok" });
  });
});

describe("client.fetch", () => {
  it("goes to the gateway with the client's fetch, not to the API", async () => {
    const urls: string[] = [];
    const client = createLeashClient({
      baseUrl: "http://api:8080",
      token: "workload",
      fetch: async (url) => {
        urls.push(url);
        return new Response("ok");
      },
    });
    expect(await (await client.fetch(issued, "repos/a")).text()).toBe("ok");
    expect(urls).toEqual(["http://gw:8081/u/github/repos/a"]);
  });
});

describe("gatewayBucket", () => {
  it("is base_url without the final slash, which the AWS SDK adds before the key", () => {
    expect(gatewayBucket(issued)).toBe("http://gw:8081/u/github");
  });
});
