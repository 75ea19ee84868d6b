import { fileURLToPath } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";

/** Where the SDK's wire types live; committed, so the SDK builds without starting the API. */
export const SDK_TYPES_FILE = fileURLToPath(
  new URL("../../../../packages/sdk/src/generated/openapi.ts", import.meta.url),
);

const HEADER = `/**
 * The Leash v1 API's wire types, generated from the /openapi.json the API serves (pnpm generate:sdk-types).
 * Do not edit: apps/api/src/openapi-sdk-types.int.test.ts fails when this file and the API drift apart.
 */

`;

/** The TypeScript source of the SDK's wire types for an OpenAPI document. */
export async function renderSdkTypes(document: object): Promise<string> {
  const ast = await openapiTS(document as OpenAPI3, { alphabetize: true });
  return HEADER + astToString(ast);
}
