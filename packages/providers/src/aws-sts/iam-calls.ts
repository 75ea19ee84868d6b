import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { errorCode, isTransient, toLeashError } from "./errors.js";
import { withRetry } from "./retry.js";

/** The IAM calls revocation makes, with the outcomes it branches on; every other failure is a LeashError. */
export interface IamCalls {
  /** `limit`: the role's inline-policy budget would be exceeded; `no_role`: the role is gone. */
  put(
    roleName: string,
    policyName: string,
    document: string,
    signal: AbortSignal,
  ): Promise<"ok" | "limit" | "no_role">;
  /** Deleting a policy that is already gone succeeds. */
  delete(roleName: string, policyName: string, signal: AbortSignal): Promise<void>;
  /** Every inline policy name of the role (all pages); empty when the role is gone. */
  list(roleName: string, signal: AbortSignal): Promise<string[]>;
  /** The decoded document, or undefined when there is no such policy. */
  get(roleName: string, policyName: string, signal: AbortSignal): Promise<string | undefined>;
  /** The role's unique id (`AROA…`), or undefined when the role is gone. */
  roleId(roleName: string, signal: AbortSignal): Promise<string | undefined>;
}

const gone = (error: unknown) =>
  errorCode(error) === "NoSuchEntityException" || errorCode(error) === "NoSuchEntity";

/**
 * IAMClient-backed calls: each has its own timeout inside the caller's signal, and a throttled or failing IAM is
 * retried once before the worker's own backoff takes over.
 */
export function createIamCalls(client: IAMClient, timeoutMs: number): IamCalls {
  async function call<T>(name: string, signal: AbortSignal, run: (abortSignal: AbortSignal) => Promise<T>) {
    try {
      return await withRetry(() => run(AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])), {
        attempts: 2,
        signal,
        retryable: isTransient,
      });
    } catch (error) {
      if (
        gone(error) ||
        errorCode(error) === "LimitExceededException" ||
        errorCode(error) === "LimitExceeded"
      ) {
        throw error;
      }
      throw toLeashError(error, `iam:${name}`);
    }
  }
  return {
    async put(RoleName, PolicyName, PolicyDocument, signal) {
      try {
        await call("PutRolePolicy", signal, (abortSignal) =>
          client.send(new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument }), { abortSignal }),
        );
        return "ok";
      } catch (error) {
        if (gone(error)) return "no_role";
        if (errorCode(error).startsWith("LimitExceeded")) return "limit";
        throw error;
      }
    },
    async delete(RoleName, PolicyName, signal) {
      try {
        await call("DeleteRolePolicy", signal, (abortSignal) =>
          client.send(new DeleteRolePolicyCommand({ RoleName, PolicyName }), { abortSignal }),
        );
      } catch (error) {
        if (!gone(error)) throw toLeashError(error, "iam:DeleteRolePolicy");
      }
    },
    async list(RoleName, signal) {
      const names: string[] = [];
      let Marker: string | undefined;
      try {
        do {
          const page = await call("ListRolePolicies", signal, (abortSignal) =>
            client.send(new ListRolePoliciesCommand({ RoleName, Marker, MaxItems: 1000 }), { abortSignal }),
          );
          names.push(...(page.PolicyNames ?? []));
          Marker = page.IsTruncated ? page.Marker : undefined;
        } while (Marker !== undefined);
      } catch (error) {
        if (gone(error)) return [];
        throw toLeashError(error, "iam:ListRolePolicies");
      }
      return names;
    },
    async get(RoleName, PolicyName, signal) {
      try {
        const out = await call("GetRolePolicy", signal, (abortSignal) =>
          client.send(new GetRolePolicyCommand({ RoleName, PolicyName }), { abortSignal }),
        );
        // IAM returns the document URL-encoded (RFC 3986).
        return out.PolicyDocument === undefined ? undefined : decodeURIComponent(out.PolicyDocument);
      } catch (error) {
        if (gone(error)) return undefined;
        throw toLeashError(error, "iam:GetRolePolicy");
      }
    },
    async roleId(RoleName, signal) {
      try {
        const out = await call("GetRole", signal, (abortSignal) =>
          client.send(new GetRoleCommand({ RoleName }), { abortSignal }),
        );
        return out.Role?.RoleId;
      } catch (error) {
        if (gone(error)) return undefined;
        throw toLeashError(error, "iam:GetRole");
      }
    },
  };
}
