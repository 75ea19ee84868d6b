import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { CONSOLE_CSS } from "../styles.js";

/** Who is signed in, and the CSRF token their forms carry. */
export interface SessionView {
  subject: string;
  csrf: string;
}

export interface LayoutProps {
  title: string;
  nonce: string;
  session?: SessionView;
  children?: Child;
}

const NAV: readonly (readonly [string, string])[] = [
  ["/console", "Live leases"],
  ["/console/agent", "Agent exposure"],
  ["/console/quotas", "Quotas"],
  ["/console/approvals", "Approvals"],
  ["/console/audit", "Audit"],
  ["/admin/queues", "Queues"],
];

export function Layout({ title, nonce, session, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · Leash console`}</title>
        <style nonce={nonce}>{raw(CONSOLE_CSS)}</style>
      </head>
      <body>
        <header>
          <span class="brand">Leash console</span>
          {session && (
            <>
              <nav>
                {NAV.map(([href, label]) => (
                  <a href={href}>{label}</a>
                ))}
              </nav>
              <span class="who">{session.subject}</span>
              <PostButton action="/console/logout" csrf={session.csrf} label="Log out" />
            </>
          )}
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

export interface PostButtonProps {
  action: string;
  csrf: string;
  label: string;
  fields?: Record<string, string>;
  kind?: "danger" | "primary";
}

/** Every state change is a POST form carrying the session's CSRF token. */
export function PostButton({ action, csrf, label, fields = {}, kind }: PostButtonProps) {
  return (
    <form class="inline" method="post" action={action}>
      <input type="hidden" name="csrf" value={csrf} />
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={kind}>
        {label}
      </button>
    </form>
  );
}
