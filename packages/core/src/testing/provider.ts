import type { Intent } from "../intent.js";
import type { ProviderName } from "../lease.js";
import type {
  CredentialProvider,
  MintedCredential,
  MintRequest,
  RevokeOutcome,
  RevokeRequest,
  TargetCut,
} from "../provider.js";
import { CallLog } from "./calls.js";

export interface FakeProviderOptions {
  name?: ProviderName;
  remintable?: boolean;
  revokesInStore?: boolean;
  mintsInProcess?: boolean;
  maxTtlSeconds?: number;
  /** Throws to refuse a target or intent before anything is written. */
  validate?: (target: string | undefined, intent: Intent) => void;
}

/**
 * A credential provider that mints `{secret: "s-<lease id>-<n>"}`; `failNextMint`/`failNextRevoke` make the next
 * call throw the given error, and `onMint` runs inside a mint (to interleave another request with it).
 */
export class FakeProvider implements CredentialProvider {
  readonly name: ProviderName;
  readonly remintable: boolean;
  readonly revokesInStore: boolean;
  readonly mintsInProcess: boolean;
  readonly minted: MintRequest[] = [];
  readonly revoked: RevokeRequest[] = [];
  readonly reclaimed: RevokeRequest[] = [];
  failNextMint: unknown;
  failNextRevoke: unknown;
  failReclaim: unknown;
  revokeOutcome: RevokeOutcome = {};
  onMint: ((request: MintRequest) => Promise<void>) | undefined;

  constructor(
    private readonly options: FakeProviderOptions = {},
    private readonly log = new CallLog(),
  ) {
    this.name = options.name ?? "vault";
    this.remintable = options.remintable ?? false;
    this.revokesInStore = options.revokesInStore ?? false;
    this.mintsInProcess = options.mintsInProcess ?? false;
  }

  maxTtlSeconds(): number | undefined {
    return this.options.maxTtlSeconds;
  }

  validate(target: string | undefined, intent: Intent): void {
    this.log.record("provider.validate");
    this.options.validate?.(target, intent);
  }

  async mint(request: MintRequest, signal: AbortSignal): Promise<MintedCredential> {
    this.log.record("provider.mint");
    signal.throwIfAborted();
    this.minted.push(request);
    await this.onMint?.(request);
    if (this.failNextMint !== undefined) {
      const error = this.failNextMint;
      this.failNextMint = undefined;
      throw error;
    }
    return {
      credential: { secret: `s-${request.leaseId}-${this.minted.length}` },
      handle: { lease: request.leaseId },
      providerExpiresAt: request.expiresAt,
      scope: [`${request.intent.action}:${request.intent.resource}`],
    };
  }

  async revoke(request: RevokeRequest): Promise<RevokeOutcome> {
    this.log.record("provider.revoke");
    if (this.failNextRevoke !== undefined) {
      const error = this.failNextRevoke;
      this.failNextRevoke = undefined;
      throw error;
    }
    this.revoked.push(request);
    return this.revokeOutcome;
  }

  async reclaim(request: RevokeRequest): Promise<void> {
    this.log.record("provider.reclaim");
    if (this.failReclaim !== undefined) throw this.failReclaim;
    this.reclaimed.push(request);
  }

  async cutTarget(_cut: TargetCut): Promise<boolean> {
    return false;
  }
}
