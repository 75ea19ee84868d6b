import { info, redisCli } from "./redis-cli.js";

/** One line of CLUSTER NODES, as the node asked sees its peer. */
export interface ClusterNode {
  id: string;
  /** `host:port` of the data port. */
  address: string;
  port: number;
  role: "primary" | "replica";
  /** The primary's id for a replica; null for a primary. */
  primaryId: string | null;
  /** Flagged `fail` (agreed by a majority of primaries) or `fail?` (suspected by the node asked). */
  failing: boolean;
  /** Slot ranges served, inclusive; empty for a replica. */
  slots: [number, number][];
}

/** `127.0.0.1:7000@17000,hostname` -> `127.0.0.1:7000`. */
function dataAddress(field: string): string {
  return field.split("@")[0] ?? field;
}

/** `0-5460` or `5461`; migrating/importing entries (`[5461->-id]`) are not served slots. */
function slotRange(field: string): [number, number] | undefined {
  if (field.startsWith("[")) return undefined;
  const [from, to = from] = field.split("-").map(Number);
  return from === undefined || to === undefined ? undefined : [from, to];
}

function parseLine(line: string): ClusterNode {
  const [id = "", addr = "", flags = "", primary = "-", , , , , ...slots] = line.split(" ");
  const flagList = flags.split(",");
  const address = dataAddress(addr);
  return {
    id,
    address,
    port: Number(address.slice(address.lastIndexOf(":") + 1)),
    role: flagList.includes("master") ? "primary" : "replica",
    primaryId: primary === "-" ? null : primary,
    failing: flagList.includes("fail") || flagList.includes("fail?"),
    slots: slots.map(slotRange).filter((r): r is [number, number] => r !== undefined),
  };
}

/** The cluster as the node on `port` sees it. */
export async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = await redisCli(port, "cluster", "nodes");
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .map(parseLine);
}

export function servesSlot(node: ClusterNode, slot: number): boolean {
  return node.slots.some(([from, to]) => slot >= from && slot <= to);
}

/** The healthy primary serving `slot` in `view`, if there is one. */
export function primaryOfSlot(view: ClusterNode[], slot: number): ClusterNode | undefined {
  return view.find((n) => n.role === "primary" && !n.failing && servesSlot(n, slot));
}

/** Whether the node on `port` answers and reports `cluster_state:ok`. */
export async function clusterStateOk(port: number): Promise<boolean> {
  return (await info(port, "cluster", "info")).cluster_state === "ok";
}
