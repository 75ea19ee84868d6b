import { describe, expect, it } from "vitest";
import { OAuthError } from "./errors.js";
import {
  ASSERTION_TYPE_JWT_BEARER,
  GRANT_TOKEN_EXCHANGE,
  parseTokenRequest,
  TOKEN_TYPE_ACCESS_TOKEN,
  TOKEN_TYPE_JWT,
} from "./token-request.js";

const RESOURCE = "https://tools.example/mcp";
const exchange = {
  grant_type: GRANT_TOKEN_EXCHANGE,
  subject_token: "jwt.of.agent",
  subject_token_type: TOKEN_TYPE_JWT,
  resource: RESOURCE,
  scope: "task:t-1 read:docs/a",
};
const credentials = {
  grant_type: "client_credentials",
  client_assertion_type: ASSERTION_TYPE_JWT_BEARER,
  client_assertion: "jwt.of.agent",
  resource: RESOURCE,
  scope: "read:docs/a",
};

const pairs = (params: Record<string, string | undefined>) =>
  Object.entries(params).filter((p): p is [string, string] => p[1] !== undefined);

function refusal(params: Record<string, string | undefined> | [string, string][]): OAuthError {
  try {
    parseTokenRequest(Array.isArray(params) ? params : pairs(params));
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error("expected an OAuthError");
}

describe("token exchange requests (RFC 8693)", () => {
  it("reads subject, optional actor, resource and intent; unknown parameters are ignored", () => {
    const request = parseTokenRequest(
      pairs({
        ...exchange,
        requested_token_type: TOKEN_TYPE_ACCESS_TOKEN,
        actor_token: "jwt.of.parent",
        actor_token_type: TOKEN_TYPE_JWT,
        client_id: "spiffe://t/agent/a",
        whatever: "x",
      }),
    );
    expect(request).toEqual({
      grant: { type: "token-exchange", subjectToken: "jwt.of.agent", actorToken: "jwt.of.parent" },
      clientAssertion: undefined,
      clientId: "spiffe://t/agent/a",
      resource: RESOURCE,
      requested: { form: "scope", taskId: "t-1", intent: { action: "read", resource: "docs/a" } },
    });
  });

  it.each([
    [{ subject_token: undefined }, "invalid_request", "subject_token is required"],
    [{ subject_token_type: undefined }, "invalid_request", "subject_token_type is required"],
    [{ subject_token_type: TOKEN_TYPE_ACCESS_TOKEN }, "invalid_request", "subject_token_type must be"],
    [
      { requested_token_type: "urn:ietf:params:oauth:token-type:id_token" },
      "invalid_request",
      "requested_token_type",
    ],
    [{ actor_token: "x" }, "invalid_request", "actor_token_type must be"],
    [{ actor_token_type: TOKEN_TYPE_JWT }, "invalid_request", "actor_token_type without actor_token"],
    [{ audience: "tools" }, "invalid_target", "not audience"],
    [{ resource: undefined }, "invalid_target", "resource is required"],
    [{ resource: "http://tools.example/mcp" }, "invalid_target", "https"],
    [{ resource: `${RESOURCE}#x` }, "invalid_target", "fragment"],
    [{ authorization_details: "[]" }, "invalid_request", "not both"],
  ])("refuses %j", (change, code, why) => {
    const error = refusal({ ...exchange, ...change });
    expect(error.code).toBe(code);
    expect(error.description).toContain(why);
  });
});

describe("client credentials requests (RFC 7523 client assertion)", () => {
  it("reads the assertion, resource and intent", () => {
    expect(parseTokenRequest(pairs(credentials))).toMatchObject({
      grant: { type: "client_credentials" },
      clientAssertion: "jwt.of.agent",
      resource: RESOURCE,
    });
  });

  it.each([
    [{ client_assertion: undefined, client_assertion_type: undefined }, "client authentication is required"],
    [
      { client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer" },
      "client_assertion_type",
    ],
    [{ client_assertion: "" }, "client_assertion is required"],
    [{ client_secret: "s3cret" }, "client secrets are not supported"],
  ])("refuses %j with invalid_client (401)", (change, why) => {
    const error = refusal({ ...credentials, ...change });
    expect(error).toMatchObject({ code: "invalid_client", status: 401 });
    expect(error.description).toContain(why);
  });
});

describe("any request", () => {
  it("refuses a missing or unknown grant type", () => {
    expect(refusal({ ...exchange, grant_type: undefined }).code).toBe("invalid_request");
    expect(refusal({ ...exchange, grant_type: "password" }).code).toBe("unsupported_grant_type");
    expect(refusal({ ...exchange, grant_type: "authorization_code" }).code).toBe("unsupported_grant_type");
  });

  it("refuses a parameter sent twice; two resources are invalid_target", () => {
    const twice = (name: string, value: string) => [...pairs(exchange), [name, value]] as [string, string][];
    expect(refusal(twice("resource", "https://other.example/")).code).toBe("invalid_target");
    expect(refusal(twice("scope", "read:docs/b")).code).toBe("invalid_request");
    expect(refusal(twice("subject_token", "other")).description).toContain(
      "subject_token is sent more than once",
    );
  });

  it("never quotes a token in a refusal", () => {
    const error = refusal({ ...exchange, subject_token_type: "jwt.of.agent.as.type" });
    expect(error.description).not.toContain("jwt.of.agent.as.type");
  });
});
