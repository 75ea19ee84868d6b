export * from "./config-file.js";
export * from "./env.js";
export * from "./failpoints.js";
export * from "./logger.js";
export * from "./metrics.js";
export * from "./providers.js";
export * from "./shutdown.js";
