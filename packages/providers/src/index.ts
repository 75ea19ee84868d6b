export * from "./aws-sts/index.js";
export * from "./gateway/index.js";
export * from "./leash-jwt/index.js";
export * from "./oauth/index.js";
export * from "./upstream-auth/index.js";
export * from "./vault/index.js";
