export type AwsService = "sts" | "iam" | "s3";

/** An error as the AWS service would send it: its exact code, HTTP status and message. */
export class AwsError extends Error {
  override readonly name = "AwsError";

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** `Sender` for the caller's mistakes, `Receiver` for the service's own failures (Query API `<Type>`). */
    readonly type: "Sender" | "Receiver" = status >= 500 ? "Receiver" : "Sender",
  ) {
    super(message);
  }
}

/** `1 validation error detected: …` is how STS and IAM report model-constraint failures (moto copies it). */
export function validationError(problems: readonly string[]): AwsError {
  const n = problems.length;
  return new AwsError(
    "ValidationError",
    400,
    `${n} validation error${n === 1 ? "" : "s"} detected: ${problems.join("; ")}`,
  );
}

export function constraint(value: string | number | null, field: string, rule: string): string {
  const shown = value === null ? "null" : `'${value}'`;
  return `Value ${shown} at '${field}' failed to satisfy constraint: Member must ${rule}`;
}

/** The signing failures, per service: S3 words them differently from the Query API services. */
export type AuthFailure = "missing" | "unknown_key" | "bad_token" | "expired" | "signature" | "skew";

export function authError(failure: AuthFailure, service: AwsService, detail = ""): AwsError {
  if (service === "s3") {
    switch (failure) {
      case "missing":
        return new AwsError("AccessDenied", 403, "Access Denied");
      case "unknown_key":
        return new AwsError(
          "InvalidAccessKeyId",
          403,
          "The AWS Access Key Id you provided does not exist in our records.",
        );
      case "bad_token":
        return new AwsError("InvalidToken", 400, "The provided token is malformed or otherwise invalid.");
      case "expired":
        return new AwsError("ExpiredToken", 400, "The provided token has expired.");
      case "signature":
        return new AwsError(
          "SignatureDoesNotMatch",
          403,
          "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        );
      case "skew":
        return new AwsError(
          "RequestTimeTooSkewed",
          403,
          "The difference between the request time and the current time is too large.",
        );
    }
  }
  switch (failure) {
    case "missing":
      return new AwsError("MissingAuthenticationToken", 403, "Request is missing Authentication Token");
    case "unknown_key":
    case "bad_token":
      return new AwsError(
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
      );
    case "expired":
      return new AwsError("ExpiredToken", 403, "The security token included in the request is expired");
    case "signature":
      return new AwsError(
        "SignatureDoesNotMatch",
        403,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      );
    case "skew":
      return new AwsError("SignatureDoesNotMatch", 403, `Signature expired: ${detail}`);
  }
}
