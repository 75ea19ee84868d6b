import { describe, expect, it } from "vitest";
import { createLeashClient } from "./client.js";
import { LeashApiError } from "./errors.js";
import { json, problem, scriptedFetch } from "./fake-fetch.js";

const PREVIEW = {
  checked: 3,
  denied: 1,
  by_policy: { "no-exports": 1 },
  sample: [
    {
      lease_id: "ls_1",
      agent: "spiffe://d/agent/a",
      task_id: "tk_1",
      provider: "vault",
      target: "kv-reader",
      intent: { action: "read", resource: "secret/a" },
      policies: ["no-exports"],
    },
  ],
};

function client(...script: Parameters<typeof scriptedFetch>) {
  const { fetch, calls } = scriptedFetch(...script);
  return {
    calls,
    leash: createLeashClient({ baseUrl: "http://leash.test", token: "tok", fetch, retries: 1 }),
  };
}

describe("re-evaluation", () => {
  it("previews with a candidate set as a dry run, repeated after a 5xx since it changes nothing", async () => {
    const { leash, calls } = client(
      () => problem(503, "not_ready"),
      () => json(200, PREVIEW),
    );
    const policies = { "next.cedar": '@id("x") permit (principal, action, resource);' };
    expect(await leash.previewReevaluation({ policies })).toEqual(PREVIEW);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.url).toBe("http://leash.test/v1/reevaluations");
    expect(JSON.parse(calls[1]?.body ?? "{}")).toEqual({ dry_run: true, policies });
  });

  it("orders one once, without repeating it after an ambiguous failure", async () => {
    const { leash, calls } = client(() => problem(502, "internal"));
    await expect(leash.reevaluate()).rejects.toBeInstanceOf(LeashApiError);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]?.body ?? "")).toEqual({});
  });
});
