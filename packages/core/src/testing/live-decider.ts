import type { PolicyRequest } from "../policy.js";
import type { LiveDecision, LiveDecisionSession, LivePolicyDecider } from "../reevaluation.js";

/** Decides live requests with a function; a session decides each distinct request once, as the real one does. */
export class FakeLiveDecider implements LivePolicyDecider {
  /** Every request a session actually decided. */
  readonly decided: PolicyRequest[] = [];

  constructor(
    readonly policySet: string,
    private readonly answer: (request: PolicyRequest) => LiveDecision,
  ) {}

  session(): LiveDecisionSession {
    const memo = new Map<string, LiveDecision>();
    const decided = this.decided;
    const answer = this.answer;
    return {
      get decided() {
        return memo.size;
      },
      decide(requests) {
        return requests.map((request) => {
          const key = JSON.stringify({ ...request, task: { ...request.task, id: "" } });
          const known = memo.get(key);
          if (known) return known;
          decided.push(request);
          const decision = answer(request);
          memo.set(key, decision);
          return decision;
        });
      },
    };
  }
}
