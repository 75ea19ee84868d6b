import type { TaskStore } from "../../ports.js";
import type { Task } from "../../task.js";

/**
 * Active task records kept in process memory for the issuance in one step (credentials that die in the store), so
 * a task's every lease after its first costs no read of it. Nothing in it is trusted: what can change in a task
 * record after its registration and matters to a lease is checked by the store's step itself (`createActive`):
 * the state, and the `stamp` that every narrowing and every suspension reaching the task moves (with its ceiling
 * and `reachedBySuspension`). Its agent, parent, depth, labels, quota limits and deadline never change. So a stale
 * record is caught there and read again (`writeActive`), or, for a task that ended, the request is answered as if
 * it had been read (`issueLease`).
 */
export interface TaskCache {
  get(taskId: string): Task | undefined;
  set(task: Task): void;
  forget(taskId: string): void;
}

/** A bounded map, oldest written first out (a task's issuances keep it written as they go). */
export function createTaskCache(maxEntries = 10_000): TaskCache {
  const entries = new Map<string, Task>();
  return {
    get: (taskId) => entries.get(taskId),
    set(task) {
      if (task.state !== "active") return void entries.delete(task.id);
      entries.delete(task.id);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(task.id, task);
    },
    forget(taskId) {
      entries.delete(taskId);
    },
  };
}

/**
 * The task store, keeping `cache` told of what this process does: a task it registers is cached as written (its
 * first lease then reads nothing either), one it ends or narrows is forgotten (what other processes do is caught by
 * the store's step).
 */
export function cachingTasks(store: TaskStore, cache: TaskCache): TaskStore {
  return {
    create: async (task) => {
      const outcome = await store.create(task);
      if (outcome.created) cache.set(outcome.task);
      return outcome;
    },
    get: (taskId) => store.get(taskId),
    end: async (taskId, state, at, actor, inStore) => {
      try {
        return await store.end(taskId, state, at, actor, inStore);
      } finally {
        cache.forget(taskId);
      }
    },
    narrow: async (input) => {
      try {
        return await store.narrow(input);
      } finally {
        cache.forget(input.taskId);
      }
    },
    leaseCounts: (taskId) => store.leaseCounts(taskId),
    dueTasks: (now, limit) => store.dueTasks(now, limit),
    activeOf: (agent, now, limit) => store.activeOf(agent, now, limit),
  };
}
