import { GatewayRefusal } from "./problem.js";

/** What the request target names: an upstream, the path under it (P, still percent-encoded) and the raw query. */
export interface Route {
  upstream: string;
  rawPath: string;
  /** Without the `?`; undefined when the target has none. */
  rawQuery: string | undefined;
}

const PREFIX = "/u/";

/**
 * Splits `/u/<upstream>/<P>?<query>`. The upstream name is compared byte for byte with the configured ones, never
 * decoded (`/u/gith%75b/` is not `github`). The target is origin-form here: anything else was refused before.
 */
export function routeOf(target: string, known: (name: string) => boolean): Route {
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? undefined : target.slice(q + 1);
  const slash = path.indexOf("/", PREFIX.length);
  if (!path.startsWith(PREFIX) || slash < 0) {
    throw new GatewayRefusal("unknown_upstream", "gateway paths are /u/<upstream>/<path>");
  }
  const upstream = path.slice(PREFIX.length, slash);
  if (!known(upstream))
    throw new GatewayRefusal("unknown_upstream", "no upstream of that name is configured");
  return { upstream, rawPath: path.slice(slash + 1), rawQuery };
}
