import { describe, expect, it } from "vitest";
import {
  CUT_POLICY,
  cutDocument,
  entryDocument,
  entryName,
  parseCutDocument,
  parseEntryName,
  reserveDocument,
} from "./deny-policy.js";
import { sessionNameOf, sourceIdentityOf, tagValue } from "./session-identity.js";

describe("session identity fits STS's constraints (STS Smithy model)", () => {
  it("turns a SPIFFE ID into a SourceIdentity of [\\w+=,.@-], 2-64 characters", () => {
    expect(sourceIdentityOf("spiffe://example.org/agent/a")).toBe("spiffe___example.org_agent_a");
    expect(sourceIdentityOf("a")).toMatch(/^[\w+=,.@-]{2}$/);
    const long = sourceIdentityOf(`spiffe://example.org/${"x".repeat(100)}`);
    expect(long).toMatch(/^[\w+=,.@-]{64}$/);
    // Two long agents sharing a beginning stay distinct.
    expect(sourceIdentityOf(`${"y".repeat(70)}1`)).not.toBe(sourceIdentityOf(`${"y".repeat(70)}2`));
  });

  it("keeps tag values in the tag charset and 256 characters", () => {
    expect(tagValue("spiffe://example.org/agent a")).toBe("spiffe://example.org/agent a");
    expect(tagValue("a#b*c")).toBe("a_b_c");
    expect(tagValue("v".repeat(300))).toHaveLength(256);
  });

  it("uses the lease id as RoleSessionName and refuses one STS would", () => {
    expect(sessionNameOf("ls_0abc")).toBe("ls_0abc");
    expect(() => sessionNameOf("bad id")).toThrow(expect.objectContaining({ code: "provider_rejected" }));
  });
});

describe("deny policies carry their own pruning data in their names", () => {
  it("round-trips an entry name within IAM's 128-character policy names", () => {
    const entry = { issuedSec: 1_714_564_800, expiresSec: 1_714_565_700, sessionName: "s".repeat(64) };
    const name = entryName(entry);
    expect(name.length).toBeLessThanOrEqual(128);
    expect(name).toMatch(/^[\w+=,.@-]+$/);
    expect(parseEntryName(name)).toEqual(entry);
    expect(parseEntryName(CUT_POLICY)).toBeUndefined();
  });

  it("denies one session by aws:userid, and a cut by aws:TokenIssueTime, as the IAM guide shows", () => {
    expect(JSON.parse(entryDocument("AROAX", "ls_1")).Statement[0]).toEqual({
      Effect: "Deny",
      Action: "*",
      Resource: "*",
      Condition: { StringEquals: { "aws:userid": "AROAX:ls_1" } },
    });
    expect(JSON.parse(cutDocument(1_714_564_800)).Statement[0].Condition).toEqual({
      DateLessThan: { "aws:TokenIssueTime": "2024-05-01T12:00:00Z" },
    });
    expect(parseCutDocument(cutDocument(1_714_564_800))).toBe(1_714_564_800);
  });

  it("makes the reserve exactly as large as any cut, so a cut can always replace it", () => {
    expect(reserveDocument().length).toBe(cutDocument(1_714_564_800).length);
    expect(parseCutDocument(reserveDocument())).toBe(0);
  });
});
