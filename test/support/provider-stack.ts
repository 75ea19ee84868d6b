import { type DevAws, type DevVault, startDevAws, startDevVault } from "@leash/devstack";
import { inject } from "vitest";
import { type Stack, type StackOptions, startStack } from "./stack.js";

export interface ProviderStack {
  stack: Stack;
  aws: DevAws;
  vault: DevVault;
  stop(): Promise<void>;
}

/**
 * The AWS and Vault emulators, and the stack on the shared Redis with them as its `aws-sts` and `vault` providers;
 * `options.env` comes on top of theirs.
 */
export async function startProviderStack(
  options: Omit<StackOptions, "redisUrl" | "redis" | "config"> = {},
): Promise<ProviderStack> {
  const [aws, vault] = await Promise.all([startDevAws(), startDevVault()]);
  const emulatorsStop = () => Promise.all([aws.emulator.stop(), vault.emulator.stop()]);
  try {
    const stack = await startStack({
      ...options,
      redisUrl: inject("redisUrl"),
      config: { providers: { "aws-sts": aws.providerConfig, vault: vault.providerConfig } },
      env: { ...aws.env, ...vault.env, ...options.env },
    });
    return {
      stack,
      aws,
      vault,
      async stop() {
        await stack.stop();
        await emulatorsStop();
      },
    };
  } catch (error) {
    await emulatorsStop();
    throw error;
  }
}
