// The Linux renderer: makes one node namespace match a desired NodeState. Level-triggered and idempotent:
// every render reads the kernel, plans the difference (ip-plan.ts, nft-ruleset.ts: pure) and applies it
// in batches — sysctl, then `ip -batch` ∥ `nft -f` (one atomic transaction), then `bridge -batch` ∥ the
// pod-side batches of veths it had to create. "Already in sync" runs no command after the read, so a fresh
// process after an agent restart changes only what differs; established connections survive because the
// nft table is never removed (its base chains keep their hooks) and conntrack entries are kept.
// Every operation (render, pod ADD/DEL/CHECK) runs one at a time.
import { existsSync } from 'node:fs';
import { createLogger, type Logger } from '../../common/log.js';
import { DatapathApplyError, type LineFailure } from '../errors.js';
import { emptyNodeState, VXLAN_OVERHEAD, type LocalInterface, type NodeState, type Vrf } from '../model.js';
import { validateNodeState } from '../validate.js';
import { runBatch, runChecked, runNft, spawnRunner, type CommandRunner } from './exec.js';
import { isEmptyPlan, NODE_SYSCTLS, planIp, type IpPlan } from './ip-plan.js';
import type { KernelSnapshot } from './kernel-state.js';
import { buildRuleset, deleteTableScript, rulesetInSync, rulesetScript, type NftRuleset } from './nft-ruleset.js';
import { resolveOwnership, type Ownership } from './ownership.js';
import { addPodInterface, checkPodInterface, deletePodInterface, type PodAddResult, type PodCheckResult, type PodContext } from './pod.js';
import { readSnapshot } from './read.js';

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
    const state = validateNodeState(input, { ownership: this.ownership });
    return this.#serial(async () => {
      const report = await this.#renderValid(state, false, opts.verify === true || !this.#nftVerified);
      this.#nftVerified = true;
      this.#lastState = state;
      return report;
    });
  }

  /** Removes everything the renderer owns in the node namespace (taps with their pods' ends, VXLAN devices, rules, VRF routes, the nft table). */
  cleanup(): Promise<RenderReport> {
    return this.#serial(async () => {
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
    await Promise.all([ipPhase(), plan.nft === null ? Promise.resolve() : collect(runNft(this.#runner, this.netns, plan.nft))]);
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

  #validatePod(f: LocalInterface, vrf: Vrf): void {
    validateNodeState({ ...emptyNodeState(), vrfs: [vrf], interfaces: [{ ...f, policy: undefined }] }, { ownership: this.ownership });
  }

  /**
   * CNI ADD: veth with the peer created in the pod namespace as f.ifname, MAC/IP/MTU, gateway route and
   * static neighbours on both sides, host route and rules in the VRF's table. Security policy, NAT and
   * routes to other nodes come with the next render. MTU: f.mtu, else the last rendered underlay − 50.
   */
  async addPod(f: LocalInterface, vrf: Vrf): Promise<PodAddResult> {
    this.#validatePod(f, vrf);
    return this.#serial(async () => {
      await this.#ensureSysctls();
      return addPodInterface(this.#podContext(), f, vrf, this.#podMtu(f));
    });
  }

  /** CNI DEL: removes the tap (and so the pod's end) and its rules; succeeds when nothing is there. Returns the commands run. */
  delPod(ref: { tap: string; ip?: string }): Promise<string[]> {
    return this.#serial(() => deletePodInterface(this.#podContext(), ref));
  }

  /** CNI CHECK: compares both sides with what ADD would have made. */
  async checkPod(f: LocalInterface, vrf: Vrf): Promise<PodCheckResult> {
    this.#validatePod(f, vrf);
    return this.#serial(() => checkPodInterface(this.#podContext(), f, vrf, this.#podMtu(f)));
  }
}
