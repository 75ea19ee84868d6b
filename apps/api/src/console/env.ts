import type { ApiEnv } from "../env.js";

/** The console's context variables: the API's, plus the CSP nonce and the session's CSRF token. */
export interface ConsoleEnv {
  Variables: ApiEnv["Variables"] & {
    /** Fresh per response; the only inline script or style that runs carries it. */
    nonce: string;
    /** Derived from the session token (see session.ts); every POST form carries it. */
    csrf: string;
  };
}
