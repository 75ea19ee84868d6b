import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { RouteRegistrar } from "../context.js";

// Served from the installed package, so the reference works without internet access.
const ASSETS_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Leash API reference</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="reference"></div>
<noscript><a href="/openapi.json">openapi.json</a></noscript>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#reference", deepLinking: true });`;

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

/** `/docs`: an interactive reference of `/openapi.json` (Swagger UI), all assets served locally. */
export const registerDocs: RouteRegistrar = (app) => {
  const cache = new Map<string, string>();
  app.get("/docs", (c) => c.html(PAGE, 200, { "content-security-policy": CSP }));
  app.get("/docs/init.js", (c) => c.body(INIT, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.get("/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (!type) return c.notFound();
    let body = cache.get(file);
    if (body === undefined) {
      body = await readFile(join(ASSETS_DIR, file), "utf8");
      cache.set(file, body);
    }
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
};
