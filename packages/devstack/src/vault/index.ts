export { Capability, type PolicyRule } from "./acl.js";
export type { AppRoleSpec, DatabaseRoleSpec } from "./config.js";
export { startVaultEmulator, type VaultEmulator, type VaultEmulatorOptions } from "./emulator.js";
export { FaultSpec, VaultFaults } from "./faults.js";
export type { LedgerLease, LedgerToken } from "./ledger.js";
export type { EmulatorClock, LeaseEntry, TokenEntry, VaultState } from "./state.js";
