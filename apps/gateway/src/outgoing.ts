import type { HeaderMap } from "./headers.js";

/** The request the upstream gets, built by the pipeline and completed by the upstream's injector. */
export interface OutgoingRequest {
  method: string;
  /** The upstream's authority (`Host`). */
  host: string;
  /** The path as sent: the upstream's base path, `/`, then P. */
  path: string;
  /** Query parameters as sent (`name=value`, already encoded), in order. */
  query: string[];
  headers: HeaderMap;
}

export function targetOf(out: OutgoingRequest): string {
  return out.query.length === 0 ? out.path : `${out.path}?${out.query.join("&")}`;
}
