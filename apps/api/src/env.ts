import type { WorkloadIdentity } from "@leash/core";

/** Typed Hono context variables. */
export interface ApiEnv {
  Variables: {
    requestId: string;
    identity: WorkloadIdentity;
  };
}
