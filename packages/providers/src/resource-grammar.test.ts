import { type Intent, isCanonicalResource, LeashError, type MintRequest, resourceCovers } from "@leash/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AwsStsTarget } from "./aws-sts/config.js";
import { compileSessionPolicy } from "./aws-sts/session-policy.js";
import type { DynamicTarget, TokenTarget } from "./vault/config.js";
import type { VaultHttp } from "./vault/http.js";
import { type MintContext, mintDynamic, mintToken } from "./vault/mint.js";
import type { VaultSession } from "./vault/session.js";

/**
 * Issue 10, providers: a request the API accepts under a ceiling prefix P* must not come out of a provider wider
 * than P. aws-sts puts the resource into IAM ARNs (where '*', '?' and '${…}' are wildcards and variables); Vault
 * targets name their paths and policies in configuration and never read the resource.
 */

// IAM policy variables, spelt without a template-like literal.
const VARIABLE = ["$", "{aws:username}"].join("");
const ESCAPE = ["$", "{*}"].join("");
const PIECES = [
  ..."abcxyz019-_~:;@!$&'()+,= ?#[]{}|^`\"<>.*",
  "..",
  "/",
  "${",
  VARIABLE,
  ESCAPE,
  "%2e",
  "\\",
  "\u2024",
  "\uff0f",
  "\u200b",
  "\u00e9",
  "\u65e5",
];
const piece = fc.constantFrom(...PIECES);
const noisy = fc.array(fc.oneof(piece, fc.string({ unit: "grapheme", maxLength: 3 })), { maxLength: 10 });
const segment = fc
  .array(fc.constantFrom(..."abcxyz019-_.~: "), { minLength: 1, maxLength: 6 })
  .map((p) => p.join(""));
const prefix = fc
  .array(segment, { minLength: 1, maxLength: 3 })
  .map((s) => `${s.join("/")}/`)
  .filter((p) => isCanonicalResource(`${p}*`, "ceiling"));
/** A request under P* that the API accepts. */
const underPrefix = fc
  .tuple(prefix, noisy)
  .map(([p, rest]) => ({ p, resource: p + rest.join("") }))
  .filter(({ p, resource }) => resourceCovers(`${p}*`, resource));

const S3: AwsStsTarget = {
  role_arn: "arn:aws:iam::123456789012:role/docs",
  max_session_seconds: 3600,
  actions: { read: ["s3:GetObject", "s3:ListBucket"] },
  resource_template: "arn:aws:s3:::docs-bucket/tenants/{resource}",
};
const TABLE: AwsStsTarget = {
  ...S3,
  actions: { read: ["dynamodb:GetItem"] },
  resource_template: "arn:aws:dynamodb:eu-west-3:123456789012:table/{resource}",
};

/** Every value an IAM glob matches starts with the text before its first wildcard or variable. */
function literalHead(pattern: string): string {
  const wild = pattern.search(/[*?]|\$\{/);
  return wild < 0 ? pattern : pattern.slice(0, wild);
}

interface Statement {
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

/** Compiles, or returns null when aws-sts refuses the resource before anything is minted. */
function compile(target: AwsStsTarget, resource: string): Statement[] | null {
  try {
    const { policy } = compileSessionPolicy(target, { action: "read", resource } as Intent);
    return (JSON.parse(policy) as { Statement: Statement[] }).Statement;
  } catch (error) {
    expect(error).toBeInstanceOf(LeashError);
    expect((error as LeashError).code).toBe("provider_rejected");
    return null;
  }
}

describe("aws-sts: the session policy of an accepted request stays under the ceiling's ARN", () => {
  for (const target of [S3, TABLE]) {
    const head = target.resource_template.replace("{resource}", "");
    it(`every ARN and s3:prefix under ${head}P for requests under P* (${target.actions.read?.[0]})`, () => {
      fc.assert(
        fc.property(underPrefix, ({ p, resource }) => {
          const statements = compile(target, resource);
          if (statements === null) return;
          for (const s of statements) {
            for (const arn of s.Resource) {
              if (s.Condition) {
                // Bucket-level (ListBucket): the bucket ARN, narrowed by the keys it may list.
                expect(arn).toBe("arn:aws:s3:::docs-bucket");
                const keys = Object.values(s.Condition).flatMap((c) => c["s3:prefix"] ?? []);
                expect(keys.length).toBeGreaterThan(0);
                for (const key of keys) expect(literalHead(key).startsWith(`tenants/${p}`)).toBe(true);
              } else {
                expect(literalHead(arn).startsWith(head + p)).toBe(true);
              }
            }
          }
        }),
        { numRuns: 2000 },
      );
    });
  }

  it("an exact request grants exactly its own ARN: no IAM wildcard or variable can ride in the resource", () => {
    fc.assert(
      fc.property(noisy, (parts) => {
        const resource = `docs/${parts.join("")}`;
        fc.pre(isCanonicalResource(resource, "request") && !resource.endsWith("/"));
        const statements = compile(S3, resource);
        if (statements === null) {
          expect(resource).toMatch(/[*?]|\$\{/);
          return;
        }
        const objects = statements.find((s) => !s.Condition);
        expect(objects?.Resource).toEqual([`arn:aws:s3:::docs-bucket/tenants/${resource}`]);
        for (const s of statements) {
          for (const value of [
            ...s.Resource,
            ...Object.values(s.Condition ?? {}).flatMap((c) => c["s3:prefix"] ?? []),
          ]) {
            expect(value).not.toMatch(/[*?]|\$\{/);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("'$' in a resource is literal in the ARN, never a replacement pattern ('$$', '$&', '$`', \"$'\")", () => {
    for (const resource of ["docs/a$$", "docs/a$&", "docs/a$`", "docs/a$'"]) {
      const objects = compile(S3, resource)?.find((s) => !s.Condition);
      expect(objects?.Resource).toEqual([`arn:aws:s3:::docs-bucket/tenants/${resource}`]);
    }
  });

  it("the API's grammar already refuses '*' in a request; aws-sts refuses '?' and '${' that the grammar allows", () => {
    expect(isCanonicalResource("docs/a*", "request")).toBe(false);
    for (const resource of ["docs/a?", `docs/${VARIABLE}`, "docs/?/"]) {
      expect(isCanonicalResource(resource, "request")).toBe(true);
      expect(compile(S3, resource)).toBeNull();
    }
  });
});

describe("vault: paths and policies come from the target, never from the resource", () => {
  const token: TokenTarget = {
    kind: "token",
    policies: ["docs-read"],
    no_default_policy: true,
    max_ttl_seconds: 600,
  };
  const dynamic: DynamicTarget = { kind: "dynamic", mount: "database", role: "docs", max_ttl_seconds: 600 };

  /** Mints with a recording Vault and returns every call it made and the scope it reported. */
  async function mint(target: TokenTarget | DynamicTarget, resource: string) {
    const calls: unknown[] = [];
    const auth = { auth: { client_token: "t", accessor: "acc", lease_duration: 60, renewable: false } };
    const session = {
      call: async (call: unknown) => {
        calls.push(call);
        return auth;
      },
    } as unknown as VaultSession;
    const http = {
      call: async (call: unknown) => {
        calls.push(call);
        return { lease_id: "database/creds/docs/1", lease_duration: 60, data: {} };
      },
    } as unknown as VaultHttp;
    const ctx: MintContext = { session, http, clock: { now: () => 0 } };
    const request: MintRequest = {
      leaseId: "ls_1",
      taskId: "tk_1",
      agent: "spiffe://t/agent",
      target: "docs",
      intent: { action: "read", resource },
      ttlSeconds: 60,
      expiresAt: 60_000,
      actorChain: [],
      scopeHints: [],
    };
    const signal = new AbortController().signal;
    const minted =
      target.kind === "token"
        ? await mintToken(ctx, request, "docs", target, signal)
        : await mintDynamic(ctx, request, "docs", target, signal);
    return { calls, scope: minted.scope };
  }

  for (const target of [token, dynamic]) {
    it(`${target.kind}: every accepted request mints the same calls and scope as any other`, async () => {
      const baseline = await mint(target, "docs/baseline");
      await fc.assert(
        fc.asyncProperty(underPrefix, async ({ resource }) => {
          expect(await mint(target, resource)).toEqual(baseline);
        }),
        { numRuns: 300 },
      );
    });
  }
});
