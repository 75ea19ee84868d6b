export interface DevTrustConfigOptions {
  issuerUrl: string;
  jwksUri: string;
  trustDomain?: string;
}

/** The trust configuration keys (see @leash/identity `TrustConfig`) that make Leash trust the dev issuer. */
export interface DevTrustConfig {
  audience: string;
  issuers: {
    issuer: string;
    jwks_uri: string;
    algorithms: string[];
    subject_prefixes: string[];
  }[];
  roles: { orchestrator: string[]; security: string[]; agent: string[] };
}

/**
 * The dev stack's trust configuration. The dev issuer may only assert subjects of its own trust domain, so the
 * same file can list production issuers next to it without the dev key being able to impersonate them.
 */
export function devTrustConfig({
  issuerUrl,
  jwksUri,
  trustDomain = "dev.local",
}: DevTrustConfigOptions): DevTrustConfig {
  const base = `spiffe://${trustDomain}`;
  return {
    audience: "leash",
    issuers: [
      { issuer: issuerUrl, jwks_uri: jwksUri, algorithms: ["ES256"], subject_prefixes: [`${base}/`] },
    ],
    roles: {
      orchestrator: [`${base}/orchestrator`],
      security: [`${base}/security/`],
      agent: [`${base}/agent/`],
    },
  };
}
