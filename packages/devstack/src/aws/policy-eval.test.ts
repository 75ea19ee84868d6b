import { describe, expect, it } from "vitest";
import { PolicyError, parsePolicy, policySizeChars } from "./policy-document.js";
import { arnMatch, type EvalRequest, evaluate, wildcardMatch } from "./policy-eval.js";

const doc = (statements: unknown[]) =>
  parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), "identity");

const allowDocs = doc([
  {
    Effect: "Allow",
    Action: ["s3:GetObject", "s3:PutObject"],
    Resource: "arn:aws:s3:::docs/*",
  },
  {
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: "arn:aws:s3:::docs",
  },
]);

const session = {
  "aws:userid": "AROAEXAMPLE:ls_1",
  "aws:TokenIssueTime": "2024-05-01T12:00:00Z",
  "aws:SourceIdentity": "agent-a",
  "aws:PrincipalTag/leash:task": "tk_1",
};
const get = (resource: string, context: EvalRequest["context"] = session): EvalRequest => ({
  action: "s3:GetObject",
  resource,
  context,
});

describe("evaluate: IAM evaluation logic (IAM User Guide, policy evaluation logic)", () => {
  it("allows what an identity policy allows, and nothing else (implicit deny)", () => {
    expect(evaluate(get("arn:aws:s3:::docs/a.md"), [allowDocs])).toBe("allow");
    expect(evaluate(get("arn:aws:s3:::other/a.md"), [allowDocs])).toBe("implicit_deny");
    expect(evaluate({ ...get("arn:aws:s3:::docs/a.md"), action: "s3:DeleteObject" }, [allowDocs])).toBe(
      "implicit_deny",
    );
  });

  it("intersects identity and session policies: the session policy can only narrow", () => {
    const narrow = doc([{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::docs/public/*" }]);
    expect(evaluate(get("arn:aws:s3:::docs/public/x"), [allowDocs], [narrow])).toBe("allow");
    expect(evaluate(get("arn:aws:s3:::docs/private/x"), [allowDocs], [narrow])).toBe("implicit_deny");
    const wide = doc([{ Effect: "Allow", Action: "*", Resource: "*" }]);
    expect(evaluate(get("arn:aws:s3:::other/x"), [allowDocs], [wide])).toBe("implicit_deny");
  });

  it("an explicit Deny wins over any Allow, in identity or session policies", () => {
    const deny = doc([{ Effect: "Deny", Action: "*", Resource: "*" }]);
    expect(evaluate(get("arn:aws:s3:::docs/a.md"), [allowDocs, deny])).toBe("explicit_deny");
    expect(evaluate(get("arn:aws:s3:::docs/a.md"), [allowDocs], [allowDocs, deny])).toBe("explicit_deny");
  });

  it("denies one session by aws:userid, leaving other sessions of the role alone", () => {
    const revoke = doc([
      {
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { StringEquals: { "aws:userid": "AROAEXAMPLE:ls_1" } },
      },
    ]);
    expect(evaluate(get("arn:aws:s3:::docs/a.md"), [allowDocs, revoke])).toBe("explicit_deny");
    const other = { ...session, "aws:userid": "AROAEXAMPLE:ls_2" };
    expect(evaluate(get("arn:aws:s3:::docs/a.md", other), [allowDocs, revoke])).toBe("allow");
  });

  it("cuts sessions issued before an instant with DateLessThan aws:TokenIssueTime", () => {
    const cut = doc([
      {
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": "2024-05-01T12:00:01Z" } },
      },
    ]);
    expect(evaluate(get("arn:aws:s3:::docs/a.md"), [allowDocs, cut])).toBe("explicit_deny");
    const later = { ...session, "aws:TokenIssueTime": "2024-05-01T12:00:01Z" };
    expect(evaluate(get("arn:aws:s3:::docs/a.md", later), [allowDocs, cut])).toBe("allow");
    // Long-term keys have no aws:TokenIssueTime, so the cut does not touch them.
    expect(evaluate(get("arn:aws:s3:::docs/a.md", {}), [allowDocs, cut])).toBe("allow");
  });

  it("supports DateGreaterThan, StringLike, StringNotEquals, SourceIdentity and principal tags", () => {
    const c = (Condition: unknown) => doc([{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition }]);
    const ok = (Condition: unknown) => evaluate(get("arn:aws:s3:::docs/a"), [c(Condition)]);
    expect(ok({ DateGreaterThan: { "aws:TokenIssueTime": "2024-01-01T00:00:00Z" } })).toBe("allow");
    expect(ok({ DateGreaterThan: { "aws:TokenIssueTime": "2025-01-01T00:00:00Z" } })).toBe("implicit_deny");
    expect(ok({ StringLike: { "aws:userid": "AROAEXAMPLE:*" } })).toBe("allow");
    expect(ok({ StringLike: { "aws:userid": "AROAOTHER:*" } })).toBe("implicit_deny");
    expect(ok({ StringNotEquals: { "aws:SourceIdentity": ["agent-b", "agent-c"] } })).toBe("allow");
    expect(ok({ StringNotEquals: { "aws:SourceIdentity": ["agent-a", "agent-c"] } })).toBe("implicit_deny");
    expect(ok({ StringEquals: { "aws:principaltag/LEASH:TASK": "tk_1" } })).toBe("allow");
    expect(ok({ StringEquals: { "aws:SourceIdentity": "agent-a", "aws:userid": "nope" } })).toBe(
      "implicit_deny",
    );
  });

  it("treats an absent key as no match, except for negated operators and IfExists", () => {
    const c = (Condition: unknown) => doc([{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition }]);
    const ok = (Condition: unknown) => evaluate(get("arn:aws:s3:::docs/a", {}), [c(Condition)]);
    expect(ok({ StringEquals: { "s3:prefix": "docs/" } })).toBe("implicit_deny");
    expect(ok({ StringNotEquals: { "s3:prefix": "docs/" } })).toBe("allow");
    expect(ok({ StringEqualsIfExists: { "s3:prefix": "docs/" } })).toBe("allow");
    expect(ok({ Null: { "s3:prefix": "true" } })).toBe("allow");
  });

  it("matches NotAction and NotResource as complements", () => {
    const d = doc([{ Effect: "Allow", NotAction: "s3:PutObject", NotResource: "arn:aws:s3:::secret/*" }]);
    expect(evaluate(get("arn:aws:s3:::docs/a"), [d])).toBe("allow");
    expect(evaluate({ ...get("arn:aws:s3:::docs/a"), action: "s3:PutObject" }, [d])).toBe("implicit_deny");
    expect(evaluate(get("arn:aws:s3:::secret/a"), [d])).toBe("implicit_deny");
  });

  it("matches trust-policy principals: the account root covers every principal of the account", () => {
    const trust = parsePolicy(
      JSON.stringify({
        Statement: { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "sts:*" },
      }),
      "trust",
    );
    const assume = (account: string): EvalRequest => ({
      action: "sts:AssumeRole",
      resource: "arn:aws:iam::111122223333:role/r",
      context: {},
      principal: { arn: `arn:aws:iam::${account}:user/admin`, account },
    });
    expect(evaluate(assume("111122223333"), [trust])).toBe("allow");
    expect(evaluate(assume("999999999999"), [trust])).toBe("implicit_deny");
  });
});

describe("wildcards", () => {
  it("matches actions case-insensitively and resources case-sensitively", () => {
    expect(wildcardMatch("s3:Get*", "S3:GETOBJECT", true)).toBe(true);
    expect(wildcardMatch("s3:Get?bject", "s3:GetObject")).toBe(true);
    expect(arnMatch("arn:aws:s3:::docs/*", "arn:aws:s3:::Docs/a")).toBe(false);
  });

  it("keeps a wildcard in an ARN field inside that field", () => {
    expect(arnMatch("arn:aws:iam::*:role/r", "arn:aws:iam::123:role/r")).toBe(true);
    expect(arnMatch("arn:aws:s3:::docs/a*", "arn:aws:s3:::docs/a/b:c")).toBe(true);
    expect(arnMatch("arn:aws:iam::1*:role/r", "arn:aws:iam::1:2:role/r")).toBe(false);
    expect(arnMatch("arn:aws:*:*:*:*", "arn:aws:s3:::docs/a")).toBe(true);
  });
});

describe("parsePolicy: what IAM refuses (MalformedPolicyDocument)", () => {
  it("refuses invalid JSON, unknown elements, missing actions or resources, and principals in identity policies", () => {
    expect(() => parsePolicy("{", "identity")).toThrow(PolicyError);
    expect(() =>
      parsePolicy('{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","X":1}]}', "identity"),
    ).toThrow(PolicyError);
    expect(() => parsePolicy('{"Statement":[{"Effect":"Allow","Resource":"*"}]}', "session")).toThrow(
      "must contain actions",
    );
    expect(() => parsePolicy('{"Statement":[{"Effect":"Allow","Action":"*"}]}', "session")).toThrow(
      "must contain resources",
    );
    expect(() =>
      parsePolicy(
        '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}',
        "identity",
      ),
    ).toThrow("should not specify a principal");
    expect(() =>
      parsePolicy(
        '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSorta":{"a":"b"}}}]}',
        "identity",
      ),
    ).toThrow("Invalid Condition type");
  });

  it("counts policy size without whitespace, as the role quota does", () => {
    expect(policySizeChars('{ "a" :\n\t"b c" }')).toBe('{"a":"bc"}'.length);
  });
});
