import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";

type Id = string | number;
export type Answer =
  | { id: Id; result: Record<string, unknown> }
  | { id: Id; error: { code: number; message: string; data?: unknown } };

/**
 * An in-process transport for one stateless exchange: the adapter hands the SDK's server a message and gets its
 * answer back by id. Notifications the server sends meanwhile (progress, logs) are dropped: the answer is one
 * JSON object.
 */
class OneShotTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly waiting = new Map<Id, (answer: Answer) => void>();

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (!("id" in message) || message.id === undefined) return;
    const wake = this.waiting.get(message.id);
    if (!wake) return;
    this.waiting.delete(message.id);
    if ("result" in message) wake({ id: message.id, result: message.result as Record<string, unknown> });
    else if ("error" in message) wake({ id: message.id, error: message.error });
  }

  async close(): Promise<void> {
    this.waiting.clear();
    this.onclose?.();
  }

  request(message: JSONRPCMessage & { id: Id }, extra: MessageExtraInfo): Promise<Answer> {
    const answer = new Promise<Answer>((resolve) => this.waiting.set(message.id, resolve));
    this.onmessage?.(message, extra);
    return answer;
  }

  notify(message: JSONRPCMessage, extra: MessageExtraInfo): void {
    this.onmessage?.(message, extra);
  }
}

/** A server connected for one HTTP request; `close` when the answer is out. */
export interface Exchange {
  request(message: JSONRPCMessage & { id: Id }): Promise<Answer>;
  notify(message: JSONRPCMessage): void;
  close(): Promise<void>;
}

export async function connect(server: McpServer, extra: MessageExtraInfo): Promise<Exchange> {
  const transport = new OneShotTransport();
  await server.connect(transport);
  return {
    request: (message) => transport.request(message, extra),
    notify: (message) => transport.notify(message, extra),
    close: () => server.close(),
  };
}
