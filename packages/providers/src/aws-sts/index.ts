export { AwsStsProviderConfig, AwsStsTarget } from "./config.js";
export { CUT_POLICY, ENTRY_PREFIX, RESERVE_POLICY } from "./deny-policy.js";
export { type AwsStsProvider, type AwsStsProviderDeps, createAwsStsProvider } from "./provider.js";
export { compileSessionPolicy } from "./session-policy.js";
