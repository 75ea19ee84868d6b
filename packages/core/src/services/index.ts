export * from "./body-hash.js";
export * from "./deps.js";
export * from "./issue-lease.js";
export * from "./leases.js";
export * from "./revoke.js";
export * from "./spiffe.js";
export * from "./tasks.js";
