export * from "./access-token.js";
export * from "./dpop.js";
export * from "./introspect.js";
export * from "./provider.js";
