import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { startRedisServer } from "@leash/devstack";
import { renderSdkTypes, SDK_TYPES_FILE } from "./sdk-types.js";
import { createTestApp } from "./test-app.js";

/**
 * Writes the SDK's wire types from the OpenAPI document the API builds in-process (on a private redis-server,
 * which the app needs to start; no port is opened and nothing else is contacted).
 */
const redis = await startRedisServer();
try {
  const api = await createTestApp(redis.url);
  try {
    const res = await api.request("GET", "/openapi.json", null);
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    mkdirSync(dirname(SDK_TYPES_FILE), { recursive: true });
    writeFileSync(SDK_TYPES_FILE, await renderSdkTypes((await res.json()) as object));
    console.log(`wrote ${SDK_TYPES_FILE}`);
  } finally {
    await api.close();
  }
} finally {
  await redis.stop();
}
