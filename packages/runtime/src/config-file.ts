import { dirname, resolve } from "node:path";
import { loadConfigFile, parseTrustConfig, type TrustConfig } from "@leash/identity";
import { z } from "zod";

const LeashJwtSection = z.strictObject({ max_ttl_seconds: z.number().int().min(1).optional() }).default({});

/** The parts of LEASH_CONFIG beyond trust (which @leash/identity validates). Unknown top-level keys are refused. */
const Sections = z
  .object({
    audience: z.unknown(),
    issuers: z.unknown(),
    roles: z.unknown(),
    providers: z
      .object({
        "leash-jwt": LeashJwtSection,
        "aws-sts": z.unknown().optional(),
        vault: z.unknown().optional(),
      })
      .strict()
      .default({ "leash-jwt": {} }),
    policy: z.strictObject({ dir: z.string().optional() }).optional(),
  })
  .strict();

export interface LeashConfigFile {
  path: string;
  trust: TrustConfig;
  providers: z.infer<typeof Sections>["providers"];
  policyDir: string | undefined;
}

/** Reads LEASH_CONFIG once at start-up; errors name the file and the offending key. */
export async function readLeashConfig(path: string): Promise<LeashConfigFile> {
  const absolute = resolve(path);
  const raw = await loadConfigFile(absolute);
  const sections = Sections.safeParse(raw);
  if (!sections.success) {
    const lines = sections.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new Error(`${absolute}: ${lines.join("; ")}`);
  }
  const trust = parseTrustConfig(raw, dirname(absolute));
  const policyDir = sections.data.policy?.dir;
  return {
    path: absolute,
    trust,
    providers: sections.data.providers,
    policyDir: policyDir === undefined ? undefined : resolve(dirname(absolute), policyDir),
  };
}
