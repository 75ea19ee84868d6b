import type { Intent } from "@leash/core";
import { describe, expect, it } from "vitest";
import type { AwsStsTarget } from "./config.js";
import { compileSessionPolicy, SESSION_POLICY_LIMIT } from "./session-policy.js";

const target: AwsStsTarget = {
  role_arn: "arn:aws:iam::123456789012:role/docs",
  max_session_seconds: 3600,
  actions: { read: ["s3:GetObject", "s3:ListBucket"], write: ["s3:PutObject"] },
  resource_template: "arn:aws:s3:::docs-bucket/{resource}",
};
const intent = (action: string, resource: string): Intent => ({ action, resource });
const statements = (policy: string) => JSON.parse(policy).Statement as Record<string, unknown>[];

describe("compileSessionPolicy: least privilege (DESIGN property 5)", () => {
  it("grants only the mapped actions on the one object an intent names", () => {
    const { policy, scope } = compileSessionPolicy(target, intent("read", "docs/a.md"));
    expect(statements(policy)).toEqual([
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::docs-bucket/docs/a.md"] },
      {
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: ["arn:aws:s3:::docs-bucket"],
        Condition: { StringEquals: { "s3:prefix": ["docs/a.md"] } },
      },
    ]);
    expect(scope).toEqual([
      "s3:GetObject arn:aws:s3:::docs-bucket/docs/a.md",
      "s3:ListBucket arn:aws:s3:::docs-bucket (s3:prefix docs/a.md)",
    ]);
  });

  it("treats a resource ending in / as a prefix, for objects and for listing", () => {
    const { policy } = compileSessionPolicy(target, intent("read", "docs/"));
    const [objects, listing] = statements(policy);
    expect(objects?.Resource).toEqual(["arn:aws:s3:::docs-bucket/docs/*"]);
    expect(listing?.Condition).toEqual({ StringLike: { "s3:prefix": ["docs/*"] } });
  });

  it("refuses an intent action with no IAM mapping as provider_access_denied", () => {
    expect(() => compileSessionPolicy(target, intent("delete", "docs/a.md"))).toThrow(
      expect.objectContaining({ code: "provider_access_denied" }),
    );
    expect(() => compileSessionPolicy(target, intent("constructor", "docs/a.md"))).toThrow(
      expect.objectContaining({ code: "provider_access_denied" }),
    );
  });

  it("narrows to the IAM actions that policy obligations name, and refuses when none is left", () => {
    const { scope } = compileSessionPolicy(target, intent("read", "docs/a.md"), ["s3:Get*", "no-iam-hint"]);
    expect(scope).toEqual(["s3:GetObject arn:aws:s3:::docs-bucket/docs/a.md"]);
    expect(() => compileSessionPolicy(target, intent("read", "docs/a.md"), ["s3:Delete*"])).toThrow(
      expect.objectContaining({ code: "provider_access_denied" }),
    );
  });

  it("refuses IAM wildcards and policy variables in a resource, which would widen the ARN", () => {
    const policyVariable = ["docs/$", "{aws:username}"].join("");
    for (const resource of ["docs/?.md", policyVariable]) {
      expect(() => compileSessionPolicy(target, intent("read", resource))).toThrow(
        expect.objectContaining({ code: "provider_rejected" }),
      );
    }
  });

  it("refuses a policy over STS's 2,048 characters before calling STS", () => {
    const long = intent("read", `docs/${"x".repeat(SESSION_POLICY_LIMIT)}`);
    expect(() => compileSessionPolicy(target, long)).toThrow(
      expect.objectContaining({ code: "provider_rejected" }),
    );
  });

  it("gives non-S3 templates the object ARN for every action", () => {
    const table = {
      ...target,
      actions: { read: ["dynamodb:GetItem"] },
      resource_template: "arn:aws:dynamodb:eu-west-3:123456789012:table/{resource}",
    };
    expect(compileSessionPolicy(table, intent("read", "orders")).scope).toEqual([
      "dynamodb:GetItem arn:aws:dynamodb:eu-west-3:123456789012:table/orders",
    ]);
  });
});
