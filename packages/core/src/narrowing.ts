import type { CeilingIntent } from "./intent.js";
import type { Lease } from "./lease.js";
import type { Task } from "./task.js";

/** A task's ceiling replaced by a narrower one, and its live leases outside it revoked, in one step. */
export interface NarrowTaskInput {
  taskId: string;
  /** The ceiling the caller checked the new one against: the change is refused if it is no longer the task's. */
  from: readonly CeilingIntent[];
  to: readonly CeilingIntent[];
  at: number;
  actor: string;
  /** Whether a `pending` or `active` lease of the task or of a descendant is now outside (it is then revoked). */
  outside(lease: Lease): boolean;
}

export type NarrowTaskOutcome =
  | {
      kind: "narrowed";
      task: Task;
      /** The leases this call ordered revoked (`ceiling_narrowed`), pending ones included. */
      revoked: string[];
      /** Of those, the ones that need a revoke job now (pending ones are revoked by their activation). */
      due: string[];
    }
  | { kind: "not_active"; task: Task }
  /** The task's ceiling is no longer `from` (another change landed first): nothing was changed. */
  | { kind: "changed" };
