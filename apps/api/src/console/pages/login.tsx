export interface LoginProps {
  nonce: string;
  error?: string | undefined;
}

/** The pasted token is never put back into the page, even when it is refused. */
export function LoginPage({ nonce, error }: LoginProps) {
  return (
    <section class="login">
      <h1>Sign in</h1>
      <p>
        Paste an identity token that holds the <strong>security</strong> role. With <code>pnpm dev</code>:{" "}
        <code>pnpm -s leash dev token --sub spiffe://dev.local/security/alice</code>
      </p>
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      <form method="post" action="/console/login" autocomplete="off">
        <input type="hidden" name="csrf" value={nonce} />
        <label>
          Identity token (JWT)
          <textarea name="token" required spellcheck={false} autocomplete="off" />
        </label>
        <p>
          <button type="submit" class="primary">
            Sign in
          </button>
        </p>
      </form>
      <p class="muted">
        The token is kept in an HttpOnly cookie for this site only and checked again on every request; the
        session ends when the token expires or when you log out.
      </p>
    </section>
  );
}
