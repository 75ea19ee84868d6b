export { type ApiEmulator, startApiEmulator } from "./emulator.js";
export { ApiEmulatorOptions } from "./options.js";
export type { ReceivedRequest } from "./record.js";
