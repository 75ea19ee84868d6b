export * from "./algorithms.js";
export * from "./config.js";
export * from "./subjects.js";
export * from "./verifier.js";
