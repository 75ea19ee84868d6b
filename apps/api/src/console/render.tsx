import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Layout, type SessionView } from "./components/layout.js";
import type { ConsoleEnv } from "./env.js";

/** The sign-in page and errors before a session exists have no identity: those pages get no navigation. */
function sessionView(c: Context<ConsoleEnv>): SessionView | undefined {
  const identity = c.get("identity") as ConsoleEnv["Variables"]["identity"] | undefined;
  const csrf = c.get("csrf") as string | undefined;
  return identity && csrf ? { subject: identity.subject, csrf } : undefined;
}

/** A whole page: the layout (with the signed-in person's navigation, if any) around the content. */
export async function renderPage(
  c: Context<ConsoleEnv>,
  title: string,
  content: Child,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  const session = sessionView(c);
  const page = (
    <Layout title={title} nonce={c.get("nonce")} {...(session ? { session } : {})}>
      {content}
    </Layout>
  );
  return c.html(`<!doctype html>${await page}`, status);
}
