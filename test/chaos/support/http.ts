/** What the driver got back: a status and body, or status 0 when the API could not be reached (killed, restarting). */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
  sentAt: number;
  receivedAt: number;
}

export interface ApiClient {
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
}

/** A client that never throws: a dead API is just another answer under fault injection. */
export function apiClient(
  api: string,
  onReply?: (method: string, path: string, reply: Reply) => void,
): ApiClient {
  return {
    async call(method, path, token, body, headers = {}) {
      const sentAt = Date.now();
      const h: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
      if (body !== undefined) h["content-type"] ??= "application/json";
      let reply: Reply;
      try {
        const res = await fetch(`${api}${path}`, {
          method,
          headers: h,
          body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
          signal: AbortSignal.timeout(20_000),
        });
        const text = await res.text();
        let parsed: Record<string, unknown> = {};
        try {
          parsed = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          parsed = { text };
        }
        reply = { status: res.status, body: parsed, sentAt, receivedAt: Date.now() };
      } catch (error) {
        reply = { status: 0, body: { error: String(error) }, sentAt, receivedAt: Date.now() };
      }
      onReply?.(method, path, reply);
      return reply;
    },
  };
}
