// The Linux renderer: makes one node namespace match a desired NodeState. Level-triggered and idempotent:
// every render reads the kernel, plans the difference (ip-plan.ts, nft-ruleset.ts: pure) and applies it
// in batches — sysctl, then `ip -batch` ∥ `nft -f` (one atomic transaction), then `bridge -batch` ∥ the
// pod-side batches of veths it had to create. "Already in sync" runs no command after the read, so a fresh
// process after an agent restart changes only what differs; established connections survive because the
// nft table is never removed (its base chains keep their hooks) and conntrack entries are kept.
// Every operation (render, pod ADD/DEL/CHECK) runs one at a time. A pod ADD installs the interface's
// policies itself (nft-pod.ts); a render whose state was computed before an ADD finished (the agent's
// model lags its ADDs) keeps that interface as the ADD made it instead of removing it.
import { existsSync } from 'node:fs';
import { createLogger, type Logger } from '../../common/log.js';
import { DatapathApplyError, type LineFailure } from '../errors.js';
import { DatapathModelError } from '../errors.js';
import { emptyNodeState, VXLAN_OVERHEAD, type AddressGroup, type LocalInterface, type NodeState, type Vrf } from '../model.js';
import { validateNodeState } from '../validate.js';
import { runBatch, runChecked, runNft, spawnRunner, type CommandRunner } from './exec.js';
import { isEmptyPlan, NODE_SYSCTLS, planIp, type IpPlan } from './ip-plan.js';
import type { KernelSnapshot } from './kernel-state.js';
import { buildRuleset, deleteTableScript, rulesetInSync, rulesetScript, type NftRuleset } from './nft-ruleset.js';
import { resolveOwnership, type Ownership } from './ownership.js';
import { addPodInterface, checkPodInterface, deletePodInterface, type PodAddResult, type PodCheckResult, type PodContext } from './pod.js';
import { failClosedLines, podNftPlan, viewOfRuleset, viewOfTable, type NftView } from './nft-pod.js';
import { readNftTable, readSnapshot } from './read.js';

export interface LinuxRendererOptions {
  /** node network namespace (name under /run/netns or a path); the current one when unset */
  netns?: string;
  ownership?: Partial<Ownership>;
  /** command runner (tests inject one); spawns processes by default */
  runner?: CommandRunner;
  /** namespace-path existence check (tests inject one) */
  netnsExists?: (path: string) => boolean;
  logger?: Logger;
}

export interface RenderPlan {
  ip: IpPlan;
  /** the nft -f script, or null when the table is already in sync */
  nft: string | null;
  ruleset: NftRuleset | null;
}

export interface RenderReport {
  /** true when nothing had to change */
  inSync: boolean;
  plan: RenderPlan;
  skipped: { tap: string; reason: string }[];
  /** milliseconds */
  timing: { read: number; plan: number; apply: number; total: number };
}

export function planRender(state: NodeState, snap: KernelSnapshot, own: Ownership, netnsExists: (p: string) => boolean): RenderPlan {
  const ip = planIp(state, snap, { own, netnsExists });
  const ruleset = buildRuleset(state, own);
  const nft = rulesetInSync(ruleset, snap.nft) ? null : rulesetScript(ruleset, snap.nft);
  return { ip, nft, ruleset };
}

export function isEmptyRenderPlan(p: RenderPlan): boolean {
  return isEmptyPlan(p.ip) && p.nft === null;
}

export class LinuxRenderer {
  readonly netns: string | undefined;
  readonly ownership: Ownership;
  readonly #runner: CommandRunner;
  readonly #netnsExists: (p: string) => boolean;
  readonly #log: Logger;
  #queue: Promise<unknown> = Promise.resolve();
  #sysctlsChecked = false;
  #nftVerified = false;
  #lastState: NodeState | undefined;
  /** what the nft table holds (undefined: unknown, read before the next ADD) */
  #nftView: NftView | undefined;
  /** interfaces plumbed by addPod that no rendered state has named yet */
  readonly #added = new Map<string, { iface: LocalInterface; vrf: Vrf; groups: readonly AddressGroup[] }>();

  constructor(opts: LinuxRendererOptions = {}) {
    this.netns = opts.netns;
    this.ownership = resolveOwnership(opts.ownership);
    this.#runner = opts.runner ?? spawnRunner;
    this.#netnsExists = opts.netnsExists ?? ((p) => existsSync(p));
    this.#log = opts.logger ?? createLogger('datapath', opts.netns ? { netns: opts.netns } : {});
  }

  /** The state the last successful render applied (what `tfctl vr` may show as programmed). */
  get lastState(): NodeState | undefined {
    return this.#lastState;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Reads the kernel state the renderer diffs against (`fullNft`: count every nft rule). */
  snapshot(opts: { fullNft?: boolean } = {}): Promise<KernelSnapshot> {
    return readSnapshot(this.#runner, this.netns, this.ownership, opts);
  }

  /**
   * Validates, reads, plans and applies. Throws DatapathModelError (nothing written) on bad input.
   * The first render of a renderer (an agent start) and `verify: true` count every nft rule, catching rules
   * changed by hand; later renders check the table's marker, chains and sets only (the renderer is the
   * table's only writer), which keeps a render with 10,000 rules well under a second.
   */
  async render(input: NodeState, opts: { verify?: boolean } = {}): Promise<RenderReport> {
    const given = validateNodeState(input, { ownership: this.ownership });
    return this.#serial(async () => {
      const state = this.#withAdded(given);
      try {
        const report = await this.#renderValid(state, false, opts.verify === true || !this.#nftVerified);
        this.#nftView = report.plan.ruleset ? viewOfRuleset(report.plan.ruleset) : undefined;
        this.#nftVerified = true;
        this.#lastState = state;
        return report;
      } catch (err) {
        this.#nftView = undefined;
        throw err;
      }
    });
  }

  /**
   * The state plus the interfaces ADDed since it was computed (the caller's model lags its ADDs): a render
   * never removes a pod an ADD has just plumbed, nor its policies. An interface leaves this list once a
   * state names it, or with delPod.
   */
  #withAdded(state: NodeState): NodeState {
    const taps = new Set(state.interfaces.map((f) => f.tap));
    for (const tap of [...this.#added.keys()]) if (taps.has(tap)) this.#added.delete(tap);
    if (this.#added.size === 0) return state;
    const merged: NodeState = { ...state, vrfs: [...state.vrfs], interfaces: [...state.interfaces], addressGroups: [...state.addressGroups] };
    for (const { iface, vrf, groups } of this.#added.values()) {
      merged.interfaces.push(iface);
      if (!merged.vrfs.some((v) => v.name === vrf.name)) merged.vrfs.push(vrf);
      for (const g of groups) if (!merged.addressGroups.some((x) => x.id === g.id)) merged.addressGroups.push(g);
    }
    try {
      return validateNodeState(merged, { ownership: this.ownership });
    } catch (err) {
      if (!(err instanceof DatapathModelError)) throw err;
      this.#log.warn({ taps: [...this.#added.keys()], problems: err.problems.slice(0, 5) }, 'interfaces added since the state was computed conflict with it; rendering the state as given');
      this.#added.clear();
      return state;
    }
  }

  /** Removes everything the renderer owns in the node namespace (taps with their pods' ends, VXLAN devices, rules, VRF routes, the nft table). */
  cleanup(): Promise<RenderReport> {
    return this.#serial(async () => {
      this.#added.clear();
      this.#nftView = undefined;
      const report = await this.#renderValid(emptyNodeState(), true, true);
      this.#lastState = undefined;
      return report;
    });
  }

  async #renderValid(state: NodeState, cleanup: boolean, fullNft: boolean): Promise<RenderReport> {
    const t0 = performance.now();
    const snap = await this.snapshot({ fullNft });
    const t1 = performance.now();
    let plan: RenderPlan;
    if (cleanup) {
      const ip = planIp(state, snap, { own: this.ownership, netnsExists: this.#netnsExists });
      ip.sysctl = [];
      plan = { ip, nft: snap.nft ? deleteTableScript(this.ownership.nftTable) : null, ruleset: null };
    } else {
      plan = planRender(state, snap, this.ownership, this.#netnsExists);
    }
    const { ip, nft } = plan;
    const t2 = performance.now();
    const inSync = isEmptyRenderPlan(plan);
    if (!inSync) await this.#apply(plan);
    const t3 = performance.now();
    for (const s of ip.skipped) this.#log.warn({ tap: s.tap }, s.reason);
    const timing = { read: t1 - t0, plan: t2 - t1, apply: t3 - t2, total: t3 - t0 };
    if (!inSync) {
      this.#log.info({ ip: ip.ip.length, bridge: ip.bridge.length, pods: ip.pods.length, sysctl: ip.sysctl.length, nft: nft !== null, ms: Math.round(timing.total) }, 'datapath rendered');
    }
    return { inSync, plan, skipped: ip.skipped, timing };
  }

  async #apply(plan: RenderPlan): Promise<void> {
    const failures: { tool: string; failures: readonly LineFailure[] }[] = [];
    const collect = async (p: Promise<void>): Promise<void> => {
      try {
        await p;
      } catch (err) {
        if (err instanceof DatapathApplyError) failures.push({ tool: String((err.details as { tool: string }).tool), failures: err.failures });
        else throw err;
      }
    };
    if (plan.ip.sysctl.length > 0) await runChecked(this.#runner, this.netns, ['sysctl', '-q', '-w', ...plan.ip.sysctl]);
    const ipPhase = async () => {
      await collect(runBatch(this.#runner, this.netns, 'ip', plan.ip.ip));
      await Promise.all([
        collect(runBatch(this.#runner, this.netns, 'bridge', plan.ip.bridge)),
        ...plan.ip.pods.map((p) => collect(runBatch(this.#runner, p.netns, 'ip', p.lines))),
      ]);
    };
    const nftPhase = plan.nft === null ? Promise.resolve() : collect(runNft(this.#runner, this.netns, plan.nft));
    if (plan.ip.pods.length > 0) {
      // New veths: their policies go in first, so that no packet passes them unfiltered.
      await nftPhase;
      await ipPhase();
    } else await Promise.all([ipPhase(), nftPhase]);
    if (failures.length > 0) {
      throw new DatapathApplyError(failures.map((f) => f.tool).join('+'), failures.flatMap((f) => [...f.failures]));
    }
  }

  async #ensureSysctls(): Promise<void> {
    if (this.#sysctlsChecked) return;
    const keys = Object.keys(NODE_SYSCTLS);
    const out = await runChecked(this.#runner, this.netns, ['sysctl', '-n', ...keys]);
    const values = out.trim().split('\n');
    const fix = keys.filter((k, i) => values[i]?.trim() !== NODE_SYSCTLS[k]).map((k) => `${k}=${NODE_SYSCTLS[k]}`);
    if (fix.length > 0) await runChecked(this.#runner, this.netns, ['sysctl', '-q', '-w', ...fix]);
    this.#sysctlsChecked = true;
  }

  #podContext(): PodContext {
    return { runner: this.#runner, netns: this.netns, own: this.ownership, netnsExists: this.#netnsExists };
  }

  #podMtu(f: LocalInterface): number {
    if (f.mtu !== undefined) return f.mtu;
    const ul = this.#lastState?.underlay.mtu;
    return ul === undefined ? 1500 - VXLAN_OVERHEAD : ul - VXLAN_OVERHEAD;
  }

  #validatePod(f: LocalInterface, vrf: Vrf, groups: readonly AddressGroup[] = []): void {
    validateNodeState({ ...emptyNodeState(), vrfs: [vrf], interfaces: [f], addressGroups: [...groups] }, { ownership: this.ownership });
  }

  /**
   * CNI ADD: the interface's policies (f.policy, vrf.policy; `addressGroups` must hold every group they
   * name, and may hold groups f is a member of) in one nft transaction, then the veth with the peer created
   * in the pod namespace as f.ifname, MAC/IP/MTU, gateway route and static neighbours on both sides, host
   * route and rules in the VRF's table. NAT and routes to other nodes come with the next render. MTU:
   * f.mtu, else the last rendered underlay − 50.
   */
  async addPod(f: LocalInterface, vrf: Vrf, opts: { addressGroups?: readonly AddressGroup[] } = {}): Promise<PodAddResult> {
    const groups = opts.addressGroups ?? [];
    this.#validatePod(f, vrf, groups);
    return this.#serial(async () => {
      await this.#ensureSysctls();
      this.#nftView ??= viewOfTable(await readNftTable(this.#runner, this.netns, this.ownership));
      const plan = podNftPlan(this.ownership.nftTable, f, vrf, groups, this.#nftView);
      const res = await addPodInterface(this.#podContext(), f, vrf, this.#podMtu(f), {
        lines: plan.lines,
        filtered: plan.filtered,
        failClosed: failClosedLines(this.ownership.nftTable, f.tap),
        onResult: (applied) => (this.#nftView = applied ? plan.view : undefined),
      });
      if (res.policy === 'fail-closed') this.#log.warn({ tap: f.tap }, 'the interface policy could not be installed with the ADD; its traffic is dropped until the next render');
      this.#added.set(f.tap, { iface: f, vrf, groups });
      return res;
    });
  }

  /** CNI DEL: removes the tap (and so the pod's end) and its rules; succeeds when nothing is there. Returns the commands run. */
  delPod(ref: { tap: string; ip?: string }): Promise<string[]> {
    return this.#serial(() => {
      this.#added.delete(ref.tap);
      return deletePodInterface(this.#podContext(), ref);
    });
  }

  /** CNI CHECK: compares both sides with what ADD would have made. */
  async checkPod(f: LocalInterface, vrf: Vrf): Promise<PodCheckResult> {
    this.#validatePod({ ...f, policy: undefined }, { ...vrf, policy: undefined });
    return this.#serial(() => checkPodInterface(this.#podContext(), f, vrf, this.#podMtu(f)));
  }
}
