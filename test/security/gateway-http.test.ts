import { request } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { head, type RawAnswer, rawExchange } from "./support/gateway-raw.js";
import { type GatewayLease, type GatewayStack, startGatewayStack } from "./support/gateway-stack.js";

/**
 * Malformed and hostile HTTP at the gateway's socket, sent byte for byte: each is answered by the gateway itself
 * (problem+json, `x-leash-gateway: 1`) and the connection closed, and nothing reaches the upstream, although every
 * head carries a valid token for a path inside the intent.
 */
let g: GatewayStack;
let lease: GatewayLease;
const PATH = "/u/demo-api/repos/leash-dev/demo/issues";

beforeAll(async () => {
  g = await startGatewayStack();
  lease = await g.lease("gw-wire", "demo-api", { action: "read", resource: "repos/leash-dev/demo/" });
}, 120_000);
afterAll(async () => {
  await g?.stop();
});
beforeEach(() => {
  g.api.emulator.clear();
});

const host = (): [string, string] => ["Host", `127.0.0.1:${g.port}`];
const bearer = (): [string, string] => ["Authorization", `Bearer ${lease.token}`];

function expectRefused(answer: RawAnswer, status: number) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.text).toMatch(/\r\nx-leash-gateway: 1\r\n/i);
  expect(answer.text).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
  expect(answer.closed, "the gateway closes the connection").toBe(true);
  expect(g.api.emulator.received, "nothing reached the upstream").toEqual([]);
  expect(answer.text).not.toContain(g.apiKey);
  expect(g.elsewhere.hits).toEqual([]);
}

describe("the control: the same head, well formed", () => {
  it("is relayed", async () => {
    const answer = await rawExchange(
      g.port,
      head(`GET ${PATH} HTTP/1.1`, [host(), bearer(), ["Connection", "close"]]),
    );
    expect(answer.status, answer.text).toBe(200);
    expect(g.api.emulator.received).toHaveLength(1);
  });
});

describe("request smuggling", () => {
  const smuggled = `GET ${PATH} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const cases: [string, [string, string][], string][] = [
    [
      "Transfer-Encoding with Content-Length (CL.TE)",
      [
        ["Content-Length", "6"],
        ["Transfer-Encoding", "chunked"],
      ],
      `0\r\n\r\n${smuggled}`,
    ],
    [
      "Content-Length with Transfer-Encoding (TE.CL)",
      [
        ["Transfer-Encoding", "chunked"],
        ["Content-Length", "4"],
      ],
      `5c\r\n${smuggled}\r\n0\r\n\r\n`,
    ],
    [
      "two equal Content-Length",
      [
        ["Content-Length", "3"],
        ["Content-Length", "3"],
      ],
      "abc",
    ],
    [
      "two different Content-Length",
      [
        ["Content-Length", "3"],
        ["Content-Length", "40"],
      ],
      `abc${smuggled}`,
    ],
    ["a Content-Length list", [["Content-Length", "3, 3"]], "abc"],
    [
      "two Transfer-Encoding",
      [
        ["Transfer-Encoding", "chunked"],
        ["Transfer-Encoding", "chunked"],
      ],
      "0\r\n\r\n",
    ],
    ["Transfer-Encoding gzip, chunked", [["Transfer-Encoding", "gzip, chunked"]], "0\r\n\r\n"],
    ["Transfer-Encoding chunked, identity", [["Transfer-Encoding", "chunked, identity"]], "0\r\n\r\n"],
    ["Transfer-Encoding xchunked", [["Transfer-Encoding", "xchunked"]], "0\r\n\r\n"],
    ["Transfer-Encoding identity", [["Transfer-Encoding", "identity"]], ""],
  ];
  for (const [name, headers, body] of cases) {
    it(`refuses ${name} with 400 and closes`, async () => {
      const answer = await rawExchange(
        g.port,
        head(`POST ${PATH} HTTP/1.1`, [host(), bearer(), ...headers], body),
      );
      expectRefused(answer, 400);
    });
  }
});

describe("header injection and malformed lines", () => {
  const lines: [string, string][] = [
    [
      "obs-fold (a continuation line)",
      `GET ${PATH} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nAuthorization: Bearer ${"T"}\r\n\r\n`,
    ],
    ["a bare LF ending a header", `GET ${PATH} HTTP/1.1\r\nHost: x\nAuthorization: Bearer T\r\n\r\n`],
    ["bare LF line endings throughout", `GET ${PATH} HTTP/1.1\nHost: x\nAuthorization: Bearer T\n\n`],
    [
      "a bare CR inside a header value",
      `GET ${PATH} HTTP/1.1\r\nHost: x\r\nX-A: a\rAuthorization: Bearer T\r\n\r\n`,
    ],
    ["a NUL in a header value", `GET ${PATH} HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n`],
    ["a NUL in the target", `GET ${PATH}\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["a space before the colon", `GET ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization : Bearer T\r\n\r\n`],
    ["a CR/LF pair smuggled into the target", `GET ${PATH}\r\nX-A: b HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
  ];
  for (const [name, raw] of lines) {
    it(`refuses ${name} with 400 and closes`, async () => {
      const answer = await rawExchange(g.port, raw.replaceAll("Bearer T", `Bearer ${lease.token}`));
      expectRefused(answer, 400);
    });
  }

  it("refuses two Host or two Authorization headers", async () => {
    for (const extra of [
      ["Host", "evil.example"],
      ["Authorization", "Bearer other"],
    ] as [string, string][]) {
      expectRefused(await rawExchange(g.port, head(`GET ${PATH} HTTP/1.1`, [host(), bearer(), extra])), 400);
    }
  });
});

describe("expectations", () => {
  it("refuses before inviting the body: no 100 Continue precedes a refusal", async () => {
    const answer = await rawExchange(
      g.port,
      head(`POST /u/demo-api/repos/leash-dev/other/issues HTTP/1.1`, [
        host(),
        bearer(),
        ["Expect", "100-continue"],
        ["Content-Length", "5"],
      ]),
    );
    expect(answer.text).not.toContain("100 Continue");
    expect(answer.status, answer.text).toBe(403);
    expect(answer.text).toMatch(/\r\nx-leash-gateway: 1\r\n/i);
    expect(g.api.emulator.received).toEqual([]);
  });

  it("invites the body of a request it forwards, and forwards it", async () => {
    const writer = await g.lease("gw-wire", "demo-api", {
      action: "write",
      resource: "repos/leash-dev/demo/",
    });
    const { status, continued } = await new Promise<{ status: number; continued: boolean }>(
      (resolve, reject) => {
        let continued = false;
        const req = request(
          `${g.gateway}/u/demo-api/repos/leash-dev/demo/issues`,
          {
            method: "POST",
            headers: {
              authorization: `Bearer ${writer.token}`,
              expect: "100-continue",
              "content-type": "application/json",
              "content-length": "18",
            },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, continued }));
          },
        );
        req.on("continue", () => {
          continued = true;
          req.end('{"title":"hello"}\n');
        });
        req.on("error", reject);
      },
    );
    expect(continued).toBe(true);
    expect(status).toBe(201);
    const [received] = g.api.emulator.received;
    expect(received?.headers.map(([n]) => n.toLowerCase())).not.toContain("expect");
  });

  it("answers a request with an expectation it does not know like any other, never with a bare 417", async () => {
    const answer = await rawExchange(
      g.port,
      head(`GET ${PATH} HTTP/1.1`, [host(), bearer(), ["Expect", "something-else"], ["Connection", "close"]]),
    );
    expect(answer.status, answer.text).toBe(200);
    const [received] = g.api.emulator.received;
    expect(received?.headers.map(([n]) => n.toLowerCase())).not.toContain("expect");
  });
});

describe("request targets that are not origin-form", () => {
  const api = () => new URL(g.api.emulator.url).host;
  const cases: [string, () => string][] = [
    ["absolute-form naming the gateway", () => `GET http://127.0.0.1:${g.port}${PATH} HTTP/1.1`],
    ["absolute-form naming the upstream", () => `GET http://${api()}/repos/leash-dev/demo/issues HTTP/1.1`],
    ["absolute-form naming another origin", () => `GET ${g.elsewhere.url}/steal HTTP/1.1`],
    ["authority-form", () => `GET ${api()} HTTP/1.1`],
    ["CONNECT to the upstream", () => `CONNECT ${api()} HTTP/1.1`],
    ["CONNECT elsewhere", () => `CONNECT ${new URL(g.elsewhere.url).host} HTTP/1.1`],
    ["asterisk-form", () => "OPTIONS * HTTP/1.1"],
    ["a fragment", () => `GET ${PATH}#frag HTTP/1.1`],
  ];
  for (const [name, line] of cases) {
    it(`refuses ${name} with 400 and closes`, async () => {
      expectRefused(await rawExchange(g.port, head(line(), [host(), bearer()])), 400);
    });
  }
});

describe("oversized heads", () => {
  it("answers 431 to a header over 16 KiB, a target over 16 KiB and many headers adding up to it", async () => {
    const big = "a".repeat(17 * 1024);
    const many: [string, string][] = Array.from({ length: 40 }, (_, i) => [`X-Pad-${i}`, "b".repeat(500)]);
    for (const raw of [
      head(`GET ${PATH} HTTP/1.1`, [host(), bearer(), ["X-Big", big]]),
      head(`GET ${PATH}?q=${big} HTTP/1.1`, [host(), bearer()]),
      head(`GET ${PATH} HTTP/1.1`, [host(), bearer(), ...many]),
    ]) {
      expectRefused(await rawExchange(g.port, raw), 431);
    }
  });

  it("relays a head just under the limit", async () => {
    const answer = await rawExchange(
      g.port,
      head(`GET ${PATH} HTTP/1.1`, [
        host(),
        bearer(),
        ["X-Pad", "c".repeat(12 * 1024)],
        ["Connection", "close"],
      ]),
    );
    expect(answer.status, answer.text.slice(0, 300)).toBe(200);
  });
});

describe("slow-loris clients", () => {
  it("answers 408 and closes a head not complete in 10 s, while serving others meanwhile", async () => {
    const slow = rawExchange(
      g.port,
      `GET ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${lease.token}\r\n`,
      {
        waitMs: 20_000,
      },
    );
    const meanwhile = await rawExchange(
      g.port,
      head(`GET ${PATH} HTTP/1.1`, [host(), bearer(), ["Connection", "close"]]),
    );
    expect(meanwhile.status).toBe(200);
    g.api.emulator.clear();
    const answer = await slow;
    expect(answer.ms).toBeGreaterThanOrEqual(9_500);
    expect(answer.ms).toBeLessThan(12_000);
    expectRefused(answer, 408);
  }, 30_000);
});
