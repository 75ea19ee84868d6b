import { dirname, resolve } from "node:path";
import type { Quota } from "@leash/core";
import { loadConfigFile, parseTrustConfig, type TrustConfig } from "@leash/identity";
import { GatewayConfig } from "@leash/providers";
import { z } from "zod";
import { QuotasSection } from "./quotas-config.js";

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
    gateway: GatewayConfig.optional(),
    quotas: QuotasSection.optional(),
  })
  .strict()
  .superRefine(checkGatewayReferences);

/** The target names a raw provider section configures (the section itself is validated when it is built). */
function targetsOf(section: unknown): ReadonlySet<string> {
  if (typeof section !== "object" || section === null || !("targets" in section)) return new Set();
  const { targets } = section;
  return new Set(typeof targets === "object" && targets !== null ? Object.keys(targets) : []);
}

/**
 * An upstream's auth names things other sections configure: the aws-sts or vault target whose credentials it
 * injects, or the Vault that holds its static secret. A dangling name would fail on the first request; refuse it
 * at start-up instead, naming the key.
 */
function checkGatewayReferences(
  sections: { providers: { "aws-sts"?: unknown; vault?: unknown }; gateway?: GatewayConfig | undefined },
  ctx: z.RefinementCtx,
): void {
  if (!sections.gateway) return;
  const aws = targetsOf(sections.providers["aws-sts"]);
  const vault = targetsOf(sections.providers.vault);
  const hasVault = sections.gateway.vault !== undefined || sections.providers.vault !== undefined;
  for (const [name, { auth }] of Object.entries(sections.gateway.upstreams)) {
    const path = ["gateway", "upstreams", name, "auth"];
    if (auth.type === "aws-sigv4" && !aws.has(auth.target))
      ctx.addIssue({
        code: "custom",
        path: [...path, "target"],
        message: "not a target of providers.aws-sts",
      });
    if (auth.type === "vault-token" && !vault.has(auth.target))
      ctx.addIssue({ code: "custom", path: [...path, "target"], message: "not a target of providers.vault" });
    if ((auth.type === "header" || auth.type === "query") && !hasVault)
      ctx.addIssue({
        code: "custom",
        path: [...path, "secret"],
        message: "a vault_kv secret needs gateway.vault or providers.vault",
      });
  }
}

export interface LeashConfigFile {
  path: string;
  trust: TrustConfig;
  providers: z.infer<typeof Sections>["providers"];
  policyDir: string | undefined;
  /** Upstreams the gateway serves; absent: no gateway runs and `provider: "gateway"` is an unknown provider. */
  gateway?: GatewayConfig;
  /** Limits on leases (API.md "Quotas, precisely"); absent: none but the tasks' own. */
  quotas?: readonly Quota[];
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
    gateway: sections.data.gateway,
    quotas: sections.data.quotas ?? [],
  };
}
