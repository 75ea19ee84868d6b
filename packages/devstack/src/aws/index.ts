export type { RoleView } from "./admin.js";
export { type AwsEmulator, startAwsEmulator } from "./emulator.js";
export { AwsError } from "./errors.js";
export { type FaultCode, FaultSpec, Faults } from "./faults.js";
export type { LedgerSession } from "./ledger.js";
export { AccessKeyPair, AwsEmulatorOptions, BucketSpec, RoleSpec } from "./options.js";
export { type PolicyDocument, PolicyError, parsePolicy, policySizeChars } from "./policy-document.js";
export { type Decision, type EvalRequest, evaluate } from "./policy-eval.js";
export { INLINE_ROLE_POLICY_LIMIT, type SessionInfo } from "./state.js";
