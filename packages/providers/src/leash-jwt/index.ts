export * from "./checkpoint-signer.js";
export * from "./introspect.js";
export * from "./keys.js";
export * from "./provider.js";
