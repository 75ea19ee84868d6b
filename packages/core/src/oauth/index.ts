export * from "./endpoints.js";
export * from "./errors.js";
export * from "./grant.js";
export * from "./intent-request.js";
export * from "./ports.js";
export * from "./resource-indicator.js";
export * from "./session.js";
export * from "./token-request.js";
