import type { AwsError, AwsService } from "./errors.js";

function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** `<name>text</name>` with the text escaped; children already rendered go through `raw`. */
export function el(name: string, text: string | number | boolean): string {
  return `<${name}>${escapeXml(String(text))}</${name}>`;
}

export function raw(name: string, children: string): string {
  return `<${name}>${children}</${name}>`;
}

const NAMESPACES: Record<"sts" | "iam", string> = {
  sts: "https://sts.amazonaws.com/doc/2011-06-15/",
  iam: "https://iam.amazonaws.com/doc/2010-05-08/",
};

/** The awsQuery success envelope; the SDK strips the root and reads `<{Op}Result>`. */
export function queryResponse(
  service: "sts" | "iam",
  action: string,
  result: string | undefined,
  id: string,
) {
  const body = result === undefined ? "" : raw(`${action}Result`, result);
  return `<${action}Response xmlns="${NAMESPACES[service]}">${body}${raw("ResponseMetadata", el("RequestId", id))}</${action}Response>`;
}

function queryError(service: "sts" | "iam", error: AwsError, id: string): string {
  const inner = el("Type", error.type) + el("Code", error.code) + el("Message", error.message);
  return `<ErrorResponse xmlns="${NAMESPACES[service]}">${raw("Error", inner)}${el("RequestId", id)}</ErrorResponse>`;
}

function s3Error(error: AwsError, id: string, resource?: string): string {
  const where = resource === undefined ? "" : el("Resource", resource);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${raw(
    "Error",
    el("Code", error.code) + el("Message", error.message) + where + el("RequestId", id) + el("HostId", id),
  )}`;
}

export function errorBody(service: AwsService, error: AwsError, id: string, resource?: string): string {
  return service === "s3" ? s3Error(error, id, resource) : queryError(service, error, id);
}
