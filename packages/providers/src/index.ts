export * from "./leash-jwt/index.js";
export * from "./vault/index.js";
