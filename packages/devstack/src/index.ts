export { type ApiEmulator, ApiEmulatorOptions, type ReceivedRequest, startApiEmulator } from "./api/index.js";
export {
  type AwsEmulator,
  AwsEmulatorOptions,
  type FaultSpec as AwsFaultSpec,
  INLINE_ROLE_POLICY_LIMIT,
  type LedgerSession,
  RoleSpec,
  startAwsEmulator,
} from "./aws/index.js";
export * from "./dev-issuer/index.js";
export * from "./dev-providers.js";
export * from "./free-port.js";
export * from "./processes.js";
export * from "./redis-server.js";
export * from "./vault/index.js";
export * from "./wait-for.js";
