import { LeashError } from "@leash/core";

/** Maps Redis failures to our vocabulary: a script's CONFLICT reply is a 409, anything else means no store (503). */
export async function guard<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LeashError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes("CONFLICT")) {
      throw new LeashError("conflict", `${operation}: ${message.slice(message.indexOf("CONFLICT") + 9)}`);
    }
    throw new LeashError("store_unavailable", `the lease store is unavailable (${operation})`, {
      cause: error,
      retryAfterSeconds: 1,
    });
  }
}
