export {
  DynamicTarget,
  TokenTarget,
  VaultAuthConfig,
  VaultProviderConfig,
  type VaultProviderConfigInput,
  VaultTarget,
} from "./config.js";
export { createVaultProvider, type VaultProvider, type VaultProviderDeps } from "./provider.js";
