import { parentPort } from "node:worker_threads";
import { loadPolicyDir } from "./load.js";
import { PolicyLoadError } from "./load-error.js";
import type { LoadRequest, LoadResponse } from "./off-thread.js";

/** The thread's side of `OffThreadLoader`: loads each directory asked for and answers with the compiled set. */
parentPort?.on("message", async ({ id, dir, schemaPath }: LoadRequest) => {
  let response: LoadResponse;
  try {
    response = { id, ok: true, set: await loadPolicyDir(dir, { schemaPath }) };
  } catch (error) {
    response =
      error instanceof PolicyLoadError
        ? { id, ok: false, problems: error.problems }
        : { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(response);
});
