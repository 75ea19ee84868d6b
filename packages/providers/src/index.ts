export * from "./leash-jwt/index.js";
export * from "./vault/index.js";
export * from "./aws-sts/index.js";
