import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { renderSdkTypes, SDK_TYPES_FILE } from "./testing/sdk-types.js";
import { createTestApp, type TestApp } from "./testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t?.close());

describe("the SDK's generated wire types", () => {
  it("are what the API's /openapi.json gives (run pnpm generate:sdk-types after changing a route)", async () => {
    const res = await t.request("GET", "/openapi.json", null);
    expect(res.status).toBe(200);
    const served = await renderSdkTypes((await res.json()) as object);
    expect(readFileSync(SDK_TYPES_FILE, "utf8") === served, `${SDK_TYPES_FILE} is stale`).toBe(true);
  });
});
