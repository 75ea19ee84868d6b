import { isLeashError, LeashError } from "@leash/core";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ApiContext } from "../context.js";
import { problemBody } from "../middleware/problem.js";

function resultOf(body: Record<string, unknown>, isError: boolean): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(body) }],
    structuredContent: body,
    ...(isError ? { isError: true } : {}),
  };
}

/**
 * Runs a tool: its answer as `structuredContent` (and as text, for clients that read only text); a refusal as an
 * `isError` result carrying the problem body the HTTP API would answer, so an agent can act on it (the model sees
 * it) instead of a protocol error that ends the call.
 */
export async function runTool(
  ctx: Pick<ApiContext, "logger">,
  requestId: string | undefined,
  tool: () => Promise<Record<string, unknown>>,
): Promise<CallToolResult> {
  try {
    return resultOf(await tool(), false);
  } catch (error) {
    if (isLeashError(error)) return resultOf(problemBody(error, requestId), true);
    ctx.logger.error({ err: error, request_id: requestId }, "mcp tool failed");
    const internal = new LeashError(
      "internal",
      "an internal error occurred; quote the request id when reporting it",
    );
    return resultOf(problemBody(internal, requestId), true);
  }
}
