import type { PolicyDecider, PolicyDecision, PolicyRequest } from "../policy.js";

/** Permits everything unless told otherwise; keeps the requests it was asked about. */
export class FakePolicy implements PolicyDecider {
  readonly requests: PolicyRequest[] = [];

  constructor(private readonly answer: (request: PolicyRequest) => Partial<PolicyDecision> = () => ({})) {}

  decide(request: PolicyRequest): PolicyDecision {
    this.requests.push(request);
    return {
      allowed: true,
      reasons: ["permit-all"],
      maxTtlSeconds: undefined,
      approvalRequired: false,
      scopeHints: [],
      errors: [],
      ...this.answer(request),
    };
  }
}
