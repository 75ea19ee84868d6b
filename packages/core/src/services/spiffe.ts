/** `spiffe://trust-domain/path` -> its parts; null for any other subject. */
export function spiffeParts(subject: string): { trustDomain: string; path: string } | null {
  const match = /^spiffe:\/\/([^/]+)(\/.*)?$/.exec(subject);
  if (!match?.[1]) return null;
  return { trustDomain: match[1], path: match[2] ?? "/" };
}
