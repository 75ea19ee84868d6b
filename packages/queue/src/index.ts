export * from "./producer.js";
export * from "./queues.js";
export * from "./sharded.js";
