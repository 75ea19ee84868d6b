import { describe, expect, it } from "vitest";
import { createRevocationFeed } from "./revocation-feed.js";
import { frozenClock, NOW_S } from "./testing/tokens.js";

const ENDPOINT = "https://leash.example/oauth/revoked";

/** A feed that serves `pages` in turn and records the cursors it was asked for. */
function feedServer(pages: unknown[]) {
  const asked: (string | null)[] = [];
  const fetchFn = (async (input: URL | string) => {
    asked.push(new URL(input).searchParams.get("after"));
    const next = pages.shift();
    if (next instanceof Response) return next;
    return new Response(JSON.stringify(next ?? { revoked: [], cursor: "c-last", has_more: false }));
  }) as typeof fetch;
  return { asked, fetchFn };
}

const token = (leaseId: string) => ({ leaseId, expiresAt: NOW_S + 300 });

describe("revocation feed", () => {
  it("is unknown before its first refresh: every token is refused until the view is current", () => {
    const feed = createRevocationFeed({
      endpoint: ENDPOINT,
      clock: frozenClock(),
      fetch: feedServer([]).fetchFn,
    });
    expect(feed.status(token("a"))).toBe("unknown");
  });

  it("marks the listed jtis revoked and the others live, reading every page and resuming at the cursor", async () => {
    const { asked, fetchFn } = feedServer([
      { revoked: [{ jti: "a", exp: NOW_S + 300 }], cursor: "c1", has_more: true },
      { revoked: [{ jti: "b", exp: NOW_S + 300 }], cursor: "c2", has_more: false },
      { revoked: [{ jti: "c", exp: NOW_S + 300 }], cursor: "c3", has_more: false },
    ]);
    const feed = createRevocationFeed({ endpoint: ENDPOINT, clock: frozenClock(), fetch: fetchFn });
    await feed.refresh();
    expect(feed.status(token("a"))).toBe("revoked");
    expect(feed.status(token("b"))).toBe("revoked");
    expect(feed.status(token("z"))).toBe("live");
    await feed.refresh();
    expect(feed.status(token("c"))).toBe("revoked");
    expect(asked).toEqual([null, "c1", "c2"]);
  });

  it("goes unknown once the last successful refresh was sent more than maxStalenessMs ago (fail closed)", async () => {
    const clock = frozenClock();
    const { fetchFn } = feedServer([
      { revoked: [], cursor: "c1", has_more: false },
      new Response("down", { status: 503 }),
    ]);
    const feed = createRevocationFeed({ endpoint: ENDPOINT, clock, fetch: fetchFn, maxStalenessMs: 700 });
    await feed.refresh();
    clock.advance(700);
    expect(feed.status(token("z"))).toBe("live");
    await expect(feed.refresh()).rejects.toThrow(/503/);
    clock.advance(1);
    expect(feed.status(token("z"))).toBe("unknown");
  });

  it("counts a refresh from when it was sent, not when it came back", async () => {
    const clock = frozenClock();
    const fetchFn = (async () => {
      clock.advance(500);
      return new Response(JSON.stringify({ revoked: [], cursor: "c", has_more: false }));
    }) as unknown as typeof fetch;
    const feed = createRevocationFeed({ endpoint: ENDPOINT, clock, fetch: fetchFn, maxStalenessMs: 700 });
    await feed.refresh();
    clock.advance(200);
    expect(feed.status(token("z"))).toBe("live");
    clock.advance(1);
    expect(feed.status(token("z"))).toBe("unknown");
  });

  it("refuses a malformed page and keeps its cursor", async () => {
    const { asked, fetchFn } = feedServer([
      { revoked: [{ jti: "a", exp: NOW_S }], cursor: "c1", has_more: false },
      { revoked: "nope" },
      { revoked: [], cursor: "c2", has_more: false },
    ]);
    const feed = createRevocationFeed({ endpoint: ENDPOINT, clock: frozenClock(), fetch: fetchFn });
    await feed.refresh();
    await expect(feed.refresh()).rejects.toThrow(/malformed/);
    await feed.refresh();
    expect(asked).toEqual([null, "c1", "c1"]);
  });

  it("drops an entry once its token has expired everywhere (exp + the retention skew)", async () => {
    const clock = frozenClock();
    const { fetchFn } = feedServer([
      { revoked: [{ jti: "a", exp: NOW_S + 10 }], cursor: "c1", has_more: false },
    ]);
    const feed = createRevocationFeed({ endpoint: ENDPOINT, clock, fetch: fetchFn, retentionSkewMs: 60_000 });
    await feed.refresh();
    clock.advance(70_000);
    await feed.refresh();
    expect(feed.status(token("a"))).toBe("revoked");
    clock.advance(1);
    await feed.refresh();
    expect(feed.status(token("a"))).toBe("live");
  });

  it("start keeps polling through failures and resolves once the view is current", async () => {
    const { fetchFn } = feedServer([new Response("down", { status: 500 })]);
    const errors: string[] = [];
    const feed = createRevocationFeed({
      endpoint: ENDPOINT,
      clock: frozenClock(),
      fetch: fetchFn,
      refreshMs: 1,
      onError: (e) => errors.push(e.message),
    });
    await feed.start(AbortSignal.timeout(5_000));
    feed.close();
    expect(errors).toEqual(["revocation feed answered 500"]);
    expect(feed.status(token("z"))).toBe("live");
  });
});
