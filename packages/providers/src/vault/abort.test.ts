import { describe, expect, it } from "vitest";
import { abortable } from "./abort.js";

describe("abortable", () => {
  it("a request started after its signal aborted cannot take the process down when it fails later", async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      const controller = new AbortController();
      controller.abort();
      let fail: (error: Error) => void = () => undefined;
      const request = new Promise<never>((_, reject) => {
        fail = reject;
      });
      await expect(abortable(request, controller.signal, () => new Error("aborted"))).rejects.toThrow(
        "aborted",
      );
      // Vault answers afterwards, e.g. 400 `invalid accessor` for a token revoked meanwhile.
      fail(new Error("invalid accessor"));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", record);
    }
  });

  it("settles with the request, or rejects as soon as the signal aborts", async () => {
    await expect(abortable(Promise.resolve(1), new AbortController().signal, () => "x")).resolves.toBe(1);
    const controller = new AbortController();
    const pending = abortable(new Promise(() => undefined), controller.signal, () => new Error("gave up"));
    controller.abort();
    await expect(pending).rejects.toThrow("gave up");
  });
});
