/**
 * The one place that imports the Cedar engine. The `nodejs` build loads the wasm synchronously at import, so
 * every call below is synchronous; `statefulIsAuthorized` evaluates against a policy set and schema parsed
 * once by `preparsePolicySet` / `preparseSchema` instead of re-parsing them on every request.
 */

export type {
  AuthorizationAnswer,
  CedarValueJson,
  Context,
  DetailedError,
  EntityJson,
  EntityUidJson,
  SchemaJson,
} from "@cedar-policy/cedar-wasm/nodejs";
export {
  checkParseContext,
  checkParseEntities,
  checkParseSchema,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  schemaToJson,
  statefulIsAuthorized,
  validate,
} from "@cedar-policy/cedar-wasm/nodejs";
