export * from "./config.js";
export * from "./provider.js";
export * from "./token.js";
