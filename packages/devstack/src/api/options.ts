import { z } from "zod";

/** An HTTP token (RFC 9110 §5.6.2): what a header name may be. */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "an HTTP header name");

const SeedIssue = z.strictObject({
  title: z.string().min(1).max(256),
  body: z.string().max(65_536).optional(),
});

export const ApiEmulatorOptions = z
  .strictObject({
    /** The key every request must carry. */
    apiKey: z.string().min(1).max(4096),
    /** The header that carries it (default `authorization`). */
    header: headerName.optional(),
    /** Its value with `{key}` for the key: default `Bearer {key}` for `authorization`, else `{key}`. */
    format: z.string().includes("{key}").optional(),
    /** Take the key from this query parameter instead of a header. */
    query: z.string().min(1).max(256).optional(),
    /** Default: a free port. */
    port: z.number().int().min(0).max(65_535).optional(),
    /** Default rate of `/bytes/<n>` in bytes per second when the request gives no `?rate=`; 0 is unpaced. */
    bytesPerSecond: z.number().int().min(0).optional(),
    /** How many requests `received` keeps, the latest (default 10,000; 0 keeps none, for benchmarks). */
    maxRecords: z.number().int().min(0).max(1_000_000).optional(),
    /** Issues to start with, by `owner/repo`. */
    issues: z.record(z.string().regex(/^[^/\s]+\/[^/\s]+$/, "owner/repo"), z.array(SeedIssue)).optional(),
  })
  .refine((o) => !(o.query && (o.header || o.format)), {
    message: "the key is expected in a header or in the query, not both",
  });
export type ApiEmulatorOptions = z.input<typeof ApiEmulatorOptions>;
