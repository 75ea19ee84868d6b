import { type DestinationStream, type Logger, pino } from "pino";

/** Every field a credential can travel in; pino replaces them with "[redacted]" wherever they appear. */
export const REDACTED_PATHS = [
  "credential",
  "*.credential",
  "token",
  "*.token",
  "secret_access_key",
  "*.secret_access_key",
  "session_token",
  "*.session_token",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "headers.authorization",
  "client_token",
  "*.client_token",
];

export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
