/** Per-request-metadata revisions (no `initialize`, no session). */
export const MODERN_VERSIONS: readonly string[] = ["2026-07-28"];
/** `initialize`-based revisions served on the same URL, statelessly (no `Mcp-Session-Id`). */
export const LEGACY_VERSIONS: readonly string[] = ["2025-11-25", "2025-06-18"];
export const SUPPORTED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];

export const META_VERSION = "io.modelcontextprotocol/protocolVersion";
