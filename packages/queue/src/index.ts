export * from "./producer.js";
export * from "./queues.js";
