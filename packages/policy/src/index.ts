export { ACTION_TYPE, type ActionHierarchy, NAMESPACE, OTHER_ACTION } from "./actions.js";
export { DEFAULT_DENY, type Obligations, POLICY_ERROR, REQUEST_REJECTED } from "./annotations.js";
export { type BenchOptions, type BenchResult, benchPolicyDecisions } from "./bench.js";
export {
  CASE_DEFAULTS,
  type CaseRequest,
  type Expectation,
  type PolicyCaseResult,
  type PolicyCasesReport,
  runPolicyCases,
  toPolicyRequest,
} from "./cases.js";
export {
  type CompiledPolicy,
  type CompiledPolicySet,
  compilePolicySet,
  type PolicySource,
} from "./compile.js";
export { type ActivePolicySet, activatePolicySet, decideWith } from "./decide.js";
export {
  createPolicyEngine,
  type PolicyEngine,
  type PolicyEngineOptions,
  type PolicyEngineStats,
  type ReloadResult,
} from "./engine.js";
export { liveDecider } from "./live.js";
export { type LoadOptions, loadPolicyDir, SCHEMA_FILE } from "./load.js";
export { formatProblem, PolicyLoadError, type PolicyProblem } from "./load-error.js";
export { OffThreadLoader, type PolicyDirLoader } from "./off-thread.js";
export { cedarActionId, SENSITIVITY_RANK, toCedarRequest } from "./request.js";
export { compileSnapshot, snapshotOf } from "./snapshot.js";
export {
  DECISION_EVENT_TYPES,
  type DecisionChange,
  type DecisionOutcome,
  type ReplayResult,
  replayRecordedDecision,
  type WhatIfReport,
  whatIf,
} from "./what-if.js";
