import { describe, expect, it } from "vitest";
import { cedarActionId, toCedarRequest } from "./request.js";
import { request } from "./test-support.js";

const actions = new Map([
  ["read", ["any"]],
  ["other", ["any"]],
]);

describe("toCedarRequest: what policies see", () => {
  it("gives the time in UTC with ISO weekdays (Sunday is 7)", () => {
    const sunday = toCedarRequest(request({ now: new Date("2025-01-12T23:30:05Z") }), actions);
    expect(sunday.context.time).toEqual({ hour: 23, weekday: 7, epoch_seconds: 1736724605 });
    const monday = toCedarRequest(request({ now: new Date("2025-01-13T00:00:00+01:00") }), actions);
    expect(monday.context.time).toMatchObject({ hour: 23, weekday: 7 });
  });

  it("ranks sensitivity so policies can compare it, treating an undeclared one as restricted", () => {
    const rank = (sensitivity: "public" | "internal" | "confidential" | "restricted" | undefined) =>
      toCedarRequest(request({ intent: { sensitivity } }), actions).entities[1]?.attrs.sensitivity_rank;
    expect([
      rank("public"),
      rank("internal"),
      rank("confidential"),
      rank("restricted"),
      rank(undefined),
    ]).toEqual([0, 1, 2, 3, 3]);
  });

  it("leaves out absent values (Cedar has no null) and turns labels into key=value strings and tags", () => {
    const cedar = toCedarRequest(
      request({ agent: { id: "a", trustDomain: null, path: null, labels: { team: "pay" } } }),
      actions,
    );
    expect(cedar.entities[0]).toEqual({
      uid: { type: "Leash::Agent", id: "a" },
      attrs: { id: "a", labels: ["team=pay"] },
      parents: [],
      tags: { team: "pay" },
    });
    expect(cedar.context).not.toHaveProperty("target");
    expect(cedar.context).not.toHaveProperty("destination");
    expect(cedar.context).not.toHaveProperty("purpose");
  });

  it("floors fractional seconds and refuses numbers Cedar cannot hold", () => {
    const task = { ...request().task, remainingSeconds: 59.9 };
    expect(toCedarRequest(request({ task }), actions).context.task).toMatchObject({ remaining_seconds: 59 });
    expect(() => toCedarRequest(request({ ttlSeconds: Number.POSITIVE_INFINITY }), actions)).toThrow(
      /ttlSeconds/,
    );
    expect(() => toCedarRequest(request({ now: new Date("nonsense") }), actions)).toThrow(/now/);
  });

  it("sends declared actions as themselves, with their groups as parents, and anything else as 'other'", () => {
    expect(cedarActionId("read", actions)).toBe("read");
    expect(cedarActionId("Read", actions)).toBe("other");
    expect(cedarActionId("s3:GetObject", actions)).toBe("other");
    const cedar = toCedarRequest(request({ intent: { action: "s3:GetObject" } }), actions);
    expect(cedar.action).toEqual({ type: "Leash::Action", id: "other" });
    expect(cedar.context.action_name).toBe("s3:GetObject");
    expect(cedar.entities[2]).toEqual({
      uid: { type: "Leash::Action", id: "other" },
      attrs: {},
      parents: [{ type: "Leash::Action", id: "any" }],
    });
  });
});
