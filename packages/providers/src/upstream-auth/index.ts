export { type AwsSession, awsSessionOf, vaultTokenOf } from "./credentials.js";
export { createVaultKvReader, type VaultKvReader, type VaultKvReaderOptions } from "./kv.js";
export {
  createLeaseCredentials,
  type LeaseCredentials,
  type LeaseCredentialsOptions,
  type LeaseForMint,
} from "./lease-credentials.js";
