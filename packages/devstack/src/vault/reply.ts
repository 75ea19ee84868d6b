import { randomUUID } from "node:crypto";

/** What a route answers: a JSON body with a status, or 204 with none. */
export type VaultReply =
  | { readonly status: number; readonly body: Readonly<Record<string, unknown>> }
  | { readonly status: 204 };

/** Any status >= 400 carries `{"errors":[...]}` (api-docs/index.mdx). */
export class VaultHttpError extends Error {
  readonly status: number;
  readonly errors: readonly string[];

  constructor(status: number, errors: readonly string[]) {
    super(errors[0] ?? `status ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

export function badRequest(message: string): VaultHttpError {
  return new VaultHttpError(400, [message]);
}

/** A missing, unknown, expired or revoked client token. */
export function invalidToken(): VaultHttpError {
  return new VaultHttpError(403, ["permission denied"]);
}

/** An ACL denial: Vault wraps it in a go-multierror, so clients should match the text by substring. */
export function aclDenied(): VaultHttpError {
  return new VaultHttpError(403, ["1 error occurred:\n\t* permission denied\n\n"]);
}

/** framework's ErrUnsupportedOperation: a verb the path does not take. */
export function unsupportedOperation(): VaultHttpError {
  return new VaultHttpError(405, ["1 error occurred:\n\t* unsupported operation\n\n"]);
}

/** A handler's nil response to a read or list: 404 with empty errors (http/logical.go), e.g. a missing secret. */
export function nothingThere(): VaultHttpError {
  return new VaultHttpError(404, []);
}

export function sealedError(): VaultHttpError {
  return new VaultHttpError(503, ["Vault is sealed"]);
}

export function rateLimited(): VaultHttpError {
  return new VaultHttpError(429, ["rate limit quota exceeded"]);
}

export interface EnvelopeParts {
  data?: Readonly<Record<string, unknown>> | null;
  auth?: Readonly<Record<string, unknown>> | null;
  lease_id?: string;
  renewable?: boolean;
  lease_duration?: number;
  warnings?: readonly string[];
}

/** The success envelope every 200 carries: `lease_id`/`renewable`/`lease_duration` are ""/false/0 when unused. */
export function envelope(parts: EnvelopeParts): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: parts.lease_id ?? "",
    renewable: parts.renewable ?? false,
    lease_duration: parts.lease_duration ?? 0,
    data: parts.data ?? null,
    wrap_info: null,
    warnings: parts.warnings && parts.warnings.length > 0 ? parts.warnings : null,
    auth: parts.auth ?? null,
  };
}

export function ok(parts: EnvelopeParts): VaultReply {
  return { status: 200, body: envelope(parts) };
}

export const NO_CONTENT: VaultReply = { status: 204 };

/** logical.ListResponse: `data.keys`; an empty list is a nil response, so 404. */
export function listReply(keys: readonly string[]): VaultReply {
  if (keys.length === 0) throw nothingThere();
  return ok({ data: { keys } });
}
