import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { DevIssuer } from "./issuer.js";

export interface DevIssuerServer {
  /** Base URL of the server, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The `iss` of tokens this issuer mints: the base URL. */
  readonly issuerUrl: string;
  readonly jwksUri: string;
  stop(): Promise<void>;
}

export interface DevIssuerServerOptions {
  /** 0 or absent: a free port chosen by the OS. */
  port?: number;
}

function app(issuer: DevIssuer, issuerUrl: string, jwksUri: string): Hono {
  const routes = new Hono();
  routes.get("/jwks.json", (c) => {
    c.header("cache-control", "public, max-age=60");
    return c.json(issuer.jwks());
  });
  routes.get("/.well-known/openid-configuration", (c) =>
    c.json({
      issuer: issuerUrl,
      jwks_uri: jwksUri,
      id_token_signing_alg_values_supported: ["ES256"],
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
    }),
  );
  return routes;
}

/**
 * Serves the issuer's JWKS and OIDC discovery document on 127.0.0.1, and binds the issuer's URL to the server's
 * base URL so that the key file and that URL are all a later process needs to mint trusted tokens.
 */
export async function startDevIssuerServer(
  issuer: DevIssuer,
  options: DevIssuerServerOptions = {},
): Promise<DevIssuerServer> {
  let routes: Hono | undefined;
  const server = serve({
    fetch: (request, env) =>
      routes ? routes.fetch(request, env) : new Response("starting", { status: 503 }),
    port: options.port ?? 0,
    hostname: "127.0.0.1",
  });
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => resolve(server.address() as AddressInfo));
  });
  const url = `http://127.0.0.1:${address.port}`;
  const jwksUri = `${url}/jwks.json`;
  try {
    issuer.bindIssuerUrl(url);
  } catch (error) {
    server.close();
    throw error;
  }
  routes = app(issuer, url, jwksUri);

  let stopped: Promise<void> | undefined;
  return {
    url,
    issuerUrl: url,
    jwksUri,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections of JWKS clients would otherwise hold close() open.
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      return stopped;
    },
  };
}
