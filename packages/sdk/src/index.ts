export type { ResourceRule } from "@leash/core/resource";
export {
  type CallOptions,
  createLeashClient,
  type LeaseRequestOptions,
  type LeashClient,
  type LeashClientOptions,
  type WaitOptions,
} from "./client.js";
export { isLeashApiError, LeashApiError, LeashConnectionError } from "./errors.js";
export {
  GatewayCredential,
  gatewayAwsSigner,
  gatewayBucket,
  gatewayCredential,
  gatewayFetch,
  gatewayUrl,
} from "./gateway.js";
export type { FetchLike, TokenSource } from "./transport.js";
export * from "./types.js";
export {
  createTokenVerifier,
  type InactiveReason,
  type ScopeCheck,
  type ScopeRequest,
  scopeAllows,
  TaskTokenClaims,
  type TokenVerification,
  type TokenVerifier,
  type TokenVerifierOptions,
} from "./verifier.js";
