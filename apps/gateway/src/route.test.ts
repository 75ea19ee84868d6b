import { describe, expect, it } from "vitest";
import { GatewayRefusal } from "./problem.js";
import { routeOf } from "./route.js";

const known = (name: string) => name === "github" || name === "s3";

describe("routing /u/<upstream>/<P>", () => {
  it("splits the upstream, the raw path and the raw query", () => {
    expect(routeOf("/u/github/repos/a%20b?x=1&y", known)).toEqual({
      upstream: "github",
      rawPath: "repos/a%20b",
      rawQuery: "x=1&y",
    });
    expect(routeOf("/u/s3/?list-type=2", known)).toEqual({
      upstream: "s3",
      rawPath: "",
      rawQuery: "list-type=2",
    });
  });

  it("compares names byte for byte: no decoding, no case folding", () => {
    for (const target of [
      "/u/gith%75b/x",
      "/u/GitHub/x",
      "/u/github%2Fx",
      "/u/other/x",
      "/u/github",
      "/x/github/a",
      "/",
    ]) {
      expect(() => routeOf(target, known), target).toThrow(GatewayRefusal);
    }
  });
});
