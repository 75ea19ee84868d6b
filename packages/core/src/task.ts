import { z } from "zod";
import type { CeilingIntent } from "./intent.js";
import type { TaskQuota } from "./quota.js";

export const TaskState = z.enum(["active", "completed", "cancelled", "expired"]);
export type TaskState = z.infer<typeof TaskState>;

export type TaskEnd = Exclude<TaskState, "active">;

export interface Task {
  id: string;
  agent: string;
  ceiling: CeilingIntent[];
  ttlSeconds: number;
  parentId: string | null;
  /** 0 for a root task; a sub-task is one deeper than its parent. */
  depth: number;
  labels: Record<string, string>;
  state: TaskState;
  createdBy: string;
  createdAt: number;
  deadline: number;
  endedAt: number | null;
  /** Hash of the registration body, so a re-registration with another body is a 409. */
  bodyHash: string;
  /** Limits on the leases of this task and its descendants (absent: only its ancestors' and the trust file's). */
  quota?: TaskQuota | null;
  /** The shard of the task's tree, recorded when its id does not name it (see shards.ts); absent means the id's. */
  shard?: number;
  /**
   * Moved by every narrowing of this task's ceiling or of one above, and by every suspension of an identity it
   * descends from (absent: never moved). An issuance that writes its lease in one step compares it there with the
   * value it decided on, so such a change in between refuses the lease.
   */
  stamp?: number;
  /** A suspension has reached this task once: an issuance in one step under it checks the suspensions there. */
  reachedBySuspension?: boolean;
}
