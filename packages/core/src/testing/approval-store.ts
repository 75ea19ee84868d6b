import type { Approval, ApprovalState, ApprovalStore, BreakGlass, BreakGlassStore } from "../approval.js";
import { CallLog } from "./calls.js";

export class InMemoryApprovalStore implements ApprovalStore {
  readonly approvals = new Map<string, Approval>();

  constructor(private readonly log = new CallLog()) {}

  async create(approval: Approval): Promise<void> {
    this.log.record("approvals.create");
    this.approvals.set(approval.id, { ...approval });
  }

  async get(id: string): Promise<Approval | null> {
    const approval = this.approvals.get(id);
    return approval ? { ...approval } : null;
  }

  async findByRequest(agent: string, requestHash: string): Promise<Approval | null> {
    this.log.record("approvals.findByRequest");
    const found = [...this.approvals.values()]
      .filter((a) => a.agent === agent && a.requestHash === requestHash)
      .sort((a, b) => b.createdAt - a.createdAt)[0];
    return found ? { ...found } : null;
  }

  async list(state: ApprovalState | undefined, limit: number): Promise<Approval[]> {
    return [...this.approvals.values()]
      .filter((a) => state === undefined || a.state === state)
      .slice(0, limit);
  }

  async decide(id: string, state: "approved" | "denied", by: string, at: number): Promise<boolean> {
    this.log.record("approvals.decide");
    const approval = this.approvals.get(id);
    if (approval?.state !== "pending") return false;
    this.approvals.set(id, { ...approval, state, decidedBy: by, decidedAt: at });
    return true;
  }

  async redeem(id: string, leaseId: string): Promise<boolean> {
    this.log.record("approvals.redeem");
    const approval = this.approvals.get(id);
    if (approval?.state !== "approved") return false;
    this.approvals.set(id, { ...approval, state: "redeemed", leaseId });
    return true;
  }

  async release(id: string, leaseId: string): Promise<boolean> {
    this.log.record("approvals.release");
    const approval = this.approvals.get(id);
    if (approval?.state !== "redeemed" || approval.leaseId !== leaseId) return false;
    this.approvals.set(id, { ...approval, state: "approved", leaseId: null });
    return true;
  }
}

export class InMemoryBreakGlassStore implements BreakGlassStore {
  readonly grants = new Map<string, BreakGlass>();

  constructor(private readonly log = new CallLog()) {}

  async open(grant: BreakGlass): Promise<void> {
    this.log.record("breakGlass.open");
    this.grants.set(grant.id, { ...grant });
  }

  async current(taskId: string, now: number): Promise<BreakGlass | null> {
    this.log.record("breakGlass.current");
    const newest = [...this.grants.values()]
      .filter((g) => g.taskId === taskId)
      .sort((a, b) => b.openedAt - a.openedAt)[0];
    return newest && newest.closedAt === undefined && newest.expiresAt > now ? { ...newest } : null;
  }

  async get(id: string): Promise<BreakGlass | null> {
    this.log.record("breakGlass.get");
    const grant = this.grants.get(id);
    return grant ? { ...grant } : null;
  }

  async close(id: string, by: string, at: number) {
    this.log.record("breakGlass.close");
    const grant = this.grants.get(id);
    if (!grant) return null;
    if (grant.closedAt !== undefined) return { grant: { ...grant }, closedNow: false };
    const closed = { ...grant, closedAt: at, closedBy: by };
    this.grants.set(id, closed);
    return { grant: { ...closed }, closedNow: true };
  }
}
