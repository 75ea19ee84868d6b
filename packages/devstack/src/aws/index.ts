export { type AwsEmulator, startAwsEmulator } from "./emulator.js";
export { FaultSpec } from "./faults.js";
export type { LedgerSession } from "./ledger.js";
export { AwsEmulatorOptions, RoleSpec } from "./options.js";
export { INLINE_ROLE_POLICY_LIMIT } from "./state.js";
