export * from "./leash-jwt/index.js";
