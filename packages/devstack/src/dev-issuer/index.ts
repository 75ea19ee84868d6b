export * from "./issuer.js";
export * from "./key-file.js";
export * from "./server.js";
export * from "./trust-config.js";
