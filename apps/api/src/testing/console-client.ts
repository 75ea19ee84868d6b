import type { TestApp } from "./test-app.js";

/** Reads the CSRF token of the first form on a console page. */
export function csrfOf(html: string): string {
  const value = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!value) throw new Error("no CSRF field on this page");
  return value;
}

/**
 * A minimal browser for the in-process console: keeps the cookies the server sets (and deletes), sends them back,
 * and does not follow redirects, so tests see each 303.
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly t: TestApp) {}

  private remember(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const gone = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
    return res;
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.remember(
      await this.t.request("GET", path, null, undefined, { ...this.cookieHeader(), ...headers }),
    );
  }

  async post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams(form).toString();
    return this.remember(
      await this.t.request("POST", path, null, body, {
        "content-type": "application/x-www-form-urlencoded",
        ...this.cookieHeader(),
        ...headers,
      }),
    );
  }

  /** Signs in through the form, as a person would. */
  async login(token: string): Promise<Response> {
    const form = await (await this.get("/console/login")).text();
    return this.post("/console/login", { token, csrf: csrfOf(form) });
  }
}
