import { describe, expect, it } from "vitest";
import { rolesFor, spiffeParts, subjectMatches } from "./subjects.js";

const roles = {
  orchestrator: ["spiffe://example.org/orchestrator"],
  security: ["spiffe://example.org/security/"],
  agent: ["spiffe://example.org/agent/", "spiffe://example.org/orchestrator"],
};

describe("role mapping", () => {
  it("an entry without a trailing slash matches the subject exactly, never as a prefix", () => {
    expect([...rolesFor("spiffe://example.org/orchestrator", roles)]).toContain("orchestrator");
    expect(rolesFor("spiffe://example.org/orchestrator-2", roles).size).toBe(0);
    expect(rolesFor("spiffe://example.org/orchestrator/x", roles).size).toBe(0);
  });

  it("an entry ending in / matches every subject below it, but not the same name without the slash", () => {
    expect([...rolesFor("spiffe://example.org/agent/a1", roles)]).toEqual(["agent"]);
    expect([...rolesFor("spiffe://example.org/security/alice", roles)]).toEqual(["security"]);
    expect(rolesFor("spiffe://example.org/agent", roles).size).toBe(0);
    expect(rolesFor("spiffe://example.org/agents/a1", roles).size).toBe(0);
  });

  it("an identity holds every role whose entries match", () => {
    expect(rolesFor("spiffe://example.org/orchestrator", roles)).toEqual(new Set(["orchestrator", "agent"]));
  });

  it("a prefix entry does not match another trust domain that shares its text", () => {
    expect(subjectMatches("spiffe://example.org.evil/agent/a1", "spiffe://example.org/")).toBe(false);
    expect(subjectMatches("spiffe://example.org/agent/a1", "spiffe://example.org/")).toBe(true);
  });
});

describe("spiffeParts", () => {
  it("splits a SPIFFE ID into trust domain and path", () => {
    expect(spiffeParts("spiffe://example.org/ns/prod/sa/agent")).toEqual({
      trustDomain: "example.org",
      path: "/ns/prod/sa/agent",
    });
    expect(spiffeParts("spiffe://example.org")).toEqual({ trustDomain: "example.org", path: "" });
  });

  it.each([
    ["not spiffe", "https://example.org/a"],
    ["uppercase scheme", "SPIFFE://example.org/a"],
    ["uppercase trust domain", "spiffe://Example.org/a"],
    ["port", "spiffe://example.org:443/a"],
    ["userinfo", "spiffe://user@example.org/a"],
    ["empty trust domain", "spiffe:///a"],
    ["dot-dot segment", "spiffe://example.org/agent/../orchestrator"],
    ["dot segment", "spiffe://example.org/./a"],
    ["empty segment", "spiffe://example.org/a//b"],
    ["trailing slash", "spiffe://example.org/a/"],
    ["query", "spiffe://example.org/a?x=1"],
    ["fragment", "spiffe://example.org/a#x"],
    ["percent-encoding", "spiffe://example.org/a%2Fb"],
  ])("rejects an invalid SPIFFE ID (%s)", (_, id) => {
    expect(spiffeParts(id)).toBeNull();
  });
});
