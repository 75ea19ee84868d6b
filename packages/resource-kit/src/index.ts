export { InvalidAccessToken, verifyAccessToken } from "./access-token.js";
export { DPOP_ALGORITHMS, InvalidDpopProof, verifyDpopProof } from "./dpop.js";
export { type LeashAuthOptions, type LeashVariables, leashAuth, protectedResourceMetadata } from "./hono.js";
export { allows, scopeOf } from "./intent.js";
export { authInfoOf, leashGrantOf } from "./mcp/grant.js";
export { type McpHandlerOptions, mcpHandler } from "./mcp/handler.js";
export { LEGACY_VERSIONS, MODERN_VERSIONS, SUPPORTED_VERSIONS } from "./mcp/versions.js";
export { InvalidIdentifier, type ProtectedResourceMetadata, wellKnownUrl } from "./metadata.js";
export { metadataResponse, type ProtectOptions, protect } from "./protect.js";
export { type Refusal, type RefusalError, refusalResponse } from "./refusal.js";
export { memoryReplayCache, type ReplayCache } from "./replay-cache.js";
export {
  type Authenticated,
  createResourceServer,
  type RequestLike,
  type ResourceServer,
  type ResourceServerOptions,
} from "./resource-server.js";
export {
  createRevocationFeed,
  type RevocationCheck,
  type RevocationFeed,
  type RevocationFeedOptions,
  type RevocationStatus,
} from "./revocation-feed.js";
export type { Actor, Clock, LeashGrant, LeashIntent, Need } from "./types.js";
