import { describe, expect, it } from "vitest";
import { OAuthError } from "./errors.js";
import {
  grantedDetails,
  intentFromAuthorizationDetails,
  intentFromScope,
  requestedIntent,
} from "./intent-request.js";

function refusal(run: () => unknown): OAuthError {
  try {
    run();
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error("expected an OAuthError");
}

describe("the intent in scope", () => {
  it("reads a task item and one <action>:<resource> item, split at the first colon", () => {
    expect(intentFromScope("task:t-1 read:docs/a:b.md")).toEqual({
      form: "scope",
      taskId: "t-1",
      intent: { action: "read", resource: "docs/a:b.md" },
    });
    expect(intentFromScope("write:docs/")).toEqual({
      form: "scope",
      taskId: undefined,
      intent: { action: "write", resource: "docs/" },
    });
  });

  it("reads an empty scope or a task alone as no intent (a token for /mcp)", () => {
    expect(intentFromScope("")).toEqual({ form: "scope", taskId: undefined, intent: undefined });
    expect(intentFromScope("task:t-1").intent).toBeUndefined();
  });

  it.each([
    ["read:docs/a  task:t", "separated by one space"],
    [" read:docs/a", "separated by one space"],
    ["read:docs/\u00e9", "printable ASCII only"],
    ['read:docs/"a', "printable ASCII only"],
    ["docs", "task:<task id> or <action>:<resource>"],
    [":docs/a", "task:<task id> or <action>:<resource>"],
    ["task:a task:b", "more than one task item"],
    ["read:docs/a write:docs/b", "more than one <action>:<resource> item"],
    ["read:docs/../secrets", "dot_segment"],
    ["read:docs/*", "wildcard"],
    ["read:docs/%2e%2e/x", "percent_encoding"],
    ["task:a/b", "task"],
    ["re!ad:docs/a", "action"],
  ])("refuses %j with invalid_scope", (scope, why) => {
    const error = refusal(() => intentFromScope(scope));
    expect(error.code).toBe("invalid_scope");
    expect(error.status).toBe(400);
    expect(error.description).toContain(why);
  });
});

describe("the intent in authorization_details", () => {
  const details = (value: unknown) => JSON.stringify(value);

  it("reads exactly one leash_intent detail: the task and every intent field", () => {
    const intent = {
      action: "write",
      resource: "docs/q3.md",
      tool: "editor",
      sensitivity: "confidential",
      destination: "warehouse.internal",
      purpose: "report",
    };
    expect(
      intentFromAuthorizationDetails(details([{ type: "leash_intent", task_id: "t-1", ...intent }])),
    ).toEqual({
      form: "authorization_details",
      taskId: "t-1",
      intent,
    });
  });

  it.each([
    ["not json", "not valid JSON"],
    [details({ type: "leash_intent", action: "read", resource: "a" }), "exactly one object"],
    [details([]), "exactly one object"],
    [
      details([
        { type: "leash_intent", action: "read", resource: "a" },
        { type: "leash_intent", action: "read", resource: "b" },
      ]),
      "exactly one object",
    ],
    [details([{ type: "payment_initiation", action: "read", resource: "a" }]), "the only type supported"],
    [details(["leash_intent"]), "the only type supported"],
    [details([{ type: "leash_intent", resource: "a" }]), "[0].action"],
    [details([{ type: "leash_intent", action: "read", resource: "a/../b" }]), "[0].resource"],
    [details([{ type: "leash_intent", action: "read", resource: "a", locations: ["x"] }]), "locations"],
    [
      details([{ type: "leash_intent", action: "read", resource: "a", sensitivity: "secret" }]),
      "sensitivity",
    ],
    [details([{ type: "leash_intent", action: "read", resource: "a", task_id: "" }]), "task_id"],
    [`[${" ".repeat(4100)}]`, "longer than 4096"],
  ])("refuses %j with invalid_authorization_details", (text, why) => {
    const error = refusal(() => intentFromAuthorizationDetails(text));
    expect(error.code).toBe("invalid_authorization_details");
    expect(error.description).toContain(why);
  });
});

describe("one form or the other", () => {
  it("refuses both at once", () => {
    const error = refusal(() =>
      requestedIntent({ scope: "read:a", authorizationDetails: '[{"type":"leash_intent"}]' }),
    );
    expect(error.code).toBe("invalid_request");
  });

  it("says no intent when neither is sent", () => {
    expect(requestedIntent({})).toEqual({ form: "none", taskId: undefined, intent: undefined });
  });

  it("grants details with the task resolved, and no intent fields for /mcp", () => {
    expect(grantedDetails("t-1", { action: "read", resource: "a" })).toEqual([
      { type: "leash_intent", task_id: "t-1", action: "read", resource: "a" },
    ]);
    expect(grantedDetails("t-1", undefined)).toEqual([{ type: "leash_intent", task_id: "t-1" }]);
  });
});
