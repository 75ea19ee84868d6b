import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadPolicyDir } from "./load.js";
import { PolicyLoadError } from "./load-error.js";
import { EXAMPLES_DIR, exampleSchema, policyDir } from "./test-support.js";

const READ = `@id("read")\npermit (principal, action == Leash::Action::"read", resource);\n`;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function loadFailure(files: Record<string, string>, schemaText?: string): Promise<PolicyLoadError> {
  const { dir, remove } = await policyDir(files);
  cleanups.push(remove);
  if (schemaText !== undefined) await writeFile(join(dir, "schema.cedarschema"), schemaText);
  const error = await loadPolicyDir(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyLoadError);
  return error as PolicyLoadError;
}

describe("loadPolicyDir: a bad policy set is refused with file, line and problem", () => {
  it("loads the example set with every policy under its @id", async () => {
    const set = await loadPolicyDir(EXAMPLES_DIR);
    expect([...set.policies.keys()].sort()).toEqual([
      "destination-allow-list",
      "max-live-leases-per-agent",
      "read-public-internal",
      "restricted-working-hours-only",
      "write-sensitive-with-approval",
    ]);
    expect(set.policies.get("write-sensitive-with-approval")?.line).toBe(4);
  });

  it("names the file and line of a syntax error", async () => {
    const error = await loadFailure({
      "ok.cedar": READ,
      "broken.cedar": `${READ}\n@id("b")\npermit (principal, action, resource)\nwhen { 1 + };\n`,
    });
    expect(error.file).toMatch(/broken\.cedar$/);
    expect(error.line).toBe(6);
    expect(error.message).toMatch(/broken\.cedar:6:\d+: .*unexpected token/);
  });

  it("names the file and line of an attribute the schema does not have", async () => {
    const error = await loadFailure({
      "typo.cedar": `// note\n${READ}\n@id("t")\nforbid (principal, action, resource)\nwhen { resource.sensitivty_rank > 1 };\n`,
    });
    expect(error.line).toBe(7);
    expect(error.message).toMatch(/typo\.cedar:7:\d+: .*sensitivty_rank/);
  });

  it("names a policy by its @id in validation problems, never by Cedar's positional policy0, policy1, ...", async () => {
    const error = await loadFailure({
      "a.cedar": `${READ}\n@id("bad-attr")\nforbid (principal, action, resource)\nwhen { resource.nope == 1 };\n`,
      "b.cedar": `// second file\n@id("bad-context")\npermit (principal, action == Leash::Action::"read", resource)\nwhen { context.whatever };\n`,
    });
    expect(error.message).not.toMatch(/policy\d/);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: expect.stringMatching(/a\.cedar$/),
          line: 6,
          message: expect.stringMatching(/^for policy `bad-attr`, .*nope/),
        }),
        expect.objectContaining({
          file: expect.stringMatching(/b\.cedar$/),
          line: 4,
          message: expect.stringMatching(/^for policy `bad-context`, .*whatever/),
        }),
      ]),
    );
  });

  it("names a policy without @id as <file>:<line> in its other problems", async () => {
    const error = await loadFailure({
      "noid.cedar": `${READ}\npermit (principal, action == Leash::Action::"list", resource)\nwhen { context.whatever };\n`,
    });
    expect(error.message).not.toMatch(/policy\d/);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 4, message: expect.stringMatching(/@id/) }),
        expect.objectContaining({
          line: 5,
          message: expect.stringMatching(/^for policy `noid\.cedar:4`, .*whatever/),
        }),
      ]),
    );
  });

  it("names policies by @id in validator warnings too", async () => {
    const { dir, remove } = await policyDir({
      "w.cedar": `${READ}\n@id("never")\npermit (principal, action == Leash::Action::"read", resource)\nwhen { false };\n`,
    });
    cleanups.push(remove);
    const set = await loadPolicyDir(dir);
    expect(set.warnings).toEqual([
      expect.objectContaining({
        line: 4,
        message: expect.stringMatching(/^for policy `never`, policy is impossible/),
      }),
    ]);
  });

  it("counts lines correctly after non-ASCII text (Cedar reports byte offsets)", async () => {
    const error = await loadFailure({
      "utf8.cedar": `// Zugriff für Mitarbeiter ✓✓✓ ✓✓✓\n@id("u")\npermit (principal, action, resource)\nwhen { context.nope };\n`,
    });
    expect(error.problems[0]).toMatchObject({ line: 4, column: 8 });
  });

  it("refuses a policy without @id, naming its line", async () => {
    const error = await loadFailure({
      "noid.cedar": `${READ}\npermit (principal, action == Leash::Action::"list", resource);\n`,
    });
    expect(error.problems[0]).toMatchObject({ line: 4, message: expect.stringMatching(/@id/) });
  });

  it("refuses a duplicate @id across files, naming both places", async () => {
    const error = await loadFailure({ "a.cedar": READ, "b.cedar": `\n\n${READ}` });
    expect(error.problems[0]).toMatchObject({ file: expect.stringMatching(/b\.cedar$/), line: 3 });
    expect(error.message).toMatch(/duplicate @id "read" \(first in .*a\.cedar:1\)/);
  });

  it("refuses malformed obligations and obligations on a forbid", async () => {
    const error = await loadFailure({
      "ttl.cedar": `@id("a")\n@max_ttl("15m")\npermit (principal, action, resource);\n`,
      "approval.cedar": `@id("b")\n@approval("maybe")\npermit (principal, action, resource);\n`,
      "forbid.cedar": `@id("c")\n@max_ttl("60")\nforbid (principal, action, resource);\n`,
      "reserved.cedar": `@id("default-deny")\npermit (principal, action, resource);\n`,
    });
    const messages = error.problems.map((p) => `${p.file.split("/").pop()}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ttl\.cedar: @max_ttl must be a positive whole number/),
        expect.stringMatching(/^approval\.cedar: @approval accepts only "required"/),
        expect.stringMatching(/^forbid\.cedar: .*permit policies only/),
        expect.stringMatching(/^reserved\.cedar: @id uses a name reserved/),
      ]),
    );
  });

  it("reports every problem of the set, not only the first", async () => {
    const error = await loadFailure({
      "a.cedar": "permit (",
      "b.cedar": `@id("b") permit (principal, action, resource) when { context.x };`,
    });
    expect(new Set(error.problems.map((p) => p.file.split("/").pop()))).toEqual(
      new Set(["a.cedar", "b.cedar"]),
    );
  });

  it("names the schema file and line when the schema is broken", async () => {
    const error = await loadFailure(
      { "a.cedar": READ },
      "namespace Leash {\n  entity Agent = { id: Strng };\n}\n",
    );
    expect(error.file).toMatch(/schema\.cedarschema$/);
    expect(error.line).toBe(2);
  });

  it("refuses a schema without the 'other' action that undeclared actions are sent as", async () => {
    const schema = (await exampleSchema()).replace(`"admin", "other" in`, `"admin" in`);
    const error = await loadFailure({ "a.cedar": READ }, schema);
    expect(error.message).toMatch(/must declare action "other"/);
  });

  it("refuses a schema that does not describe the requests Leash sends", async () => {
    const schema = (await exampleSchema()).replace(
      "purpose?: String,",
      "purpose?: String,\n    region: String,",
    );
    const error = await loadFailure({ "a.cedar": READ }, schema);
    expect(error.message).toMatch(/does not describe the requests Leash sends.*region/);
  });

  it("refuses a directory without policies and a missing directory", async () => {
    expect((await loadFailure({})).message).toMatch(/no \*\.cedar policy files/);
    await expect(loadPolicyDir(join(EXAMPLES_DIR, "does-not-exist"))).rejects.toThrow(/cannot read/);
  });
});
