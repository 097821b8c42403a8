// Text forms of the agent's introspect as ist.py prints them (`vr intf`, `vr vrf`, `vr route`, `vr xmpp`)
// and of a trace. Pure: the CLI fetches the JSON, these turn it into lines.
import { prettyTable } from '../common/pretty-table.js';
import type { InterfaceView, PathView, VrfView } from './model.js';
import type { TraceBranch, TraceResult, TraceStep } from './trace.js';

export interface FormatOptions {
  maxWidth?: number;
}

export function formatInterfaces(list: readonly InterfaceView[], o: FormatOptions = {}): string {
  return prettyTable(
    ['index', 'name', 'active', 'mac_addr', 'ip_addr', 'mdata_ip_addr', 'vm_name', 'vn_name'],
    list.map((i) => [i.index, i.name, i.active ? 'Active' : `Inactive ${i.reason ?? ''}`.trim(), i.mac || 'n/a', i.ip || 'n/a', 'n/a', i.vm_name || 'n/a', i.vn_name || 'n/a']),
    o,
  );
}

/** ucindex is the kernel table of the VRF; this datapath has one table per VRF, so every index is the same. */
export function formatVrfs(list: readonly VrfView[], o: FormatOptions = {}): string {
  return prettyTable(
    ['name', 'ucindex', 'mcindex', 'brindex', 'evpnindex', 'vxlan_id', 'vn'],
    list.map((v) => [v.name, v.ucindex, v.ucindex, v.ucindex, v.ucindex, v.vxlan_id, v.vn]),
    o,
  );
}

export interface RouteEntry {
  vrf: string;
  vrf_index: number;
  src_ip: string;
  src_plen: number;
  path_list: PathView[];
}

function pathLines(p: PathView, policy: (itf: string) => boolean): string[] {
  const indent = '    ';
  const head = `${indent}[${p.peer}] pref:${p.pref}${p.stale ? ' (stale)' : ''}`;
  const nh = p.nh;
  let body: string;
  if (nh.type === 'interface') {
    body = `to ${nh.mac} via ${nh.itf}, assigned_label:-, nh_index:- , nh_type:interface, nh_policy:${policy(nh.itf) ? 'enabled' : 'disabled'}, active_label:-, vxlan_id:-`;
  } else {
    body = `via ${nh.tunnel_type} dip:${nh.dip} sip:${nh.sip} label:${nh.label}, nh_index:- , nh_type:tunnel, nh_policy:disabled, active_label:${nh.label}, vxlan_id:${nh.vxlan_id}`;
  }
  return [head, `${indent} ${body}`];
}

/** `vr route`: per VRF, each prefix with its paths (ist.py's showRoute_VR layout). */
export function formatRoutes(routes: readonly RouteEntry[], policyOn: (itf: string) => boolean = () => false): string {
  const out: string[] = [];
  let vrf: string | undefined;
  for (const r of routes) {
    if (r.vrf !== vrf) {
      if (vrf !== undefined) out.push('');
      vrf = r.vrf;
      out.push(`${r.vrf} (vrf_index ${r.vrf_index}):`);
    }
    out.push(`${r.src_ip}/${r.src_plen}`);
    for (const p of r.path_list) out.push(...pathLines(p, policyOn));
  }
  return out.join('\n');
}

export interface PeerRow {
  controller_ip: string;
  state: string;
  peer_name: string;
  peer_address: string;
  cfg_controller: string;
  flap_count: number;
  flap_time: string;
}

export function formatPeers(list: readonly PeerRow[], o: FormatOptions = {}): string {
  return prettyTable(
    ['controller_ip', 'state', 'peer_name', 'peer_address', 'cfg_controller', 'flap_count', 'flap_time'],
    list.map((p) => [p.controller_ip, p.state, p.peer_name, p.peer_address, p.cfg_controller, p.flap_count, p.flap_time]),
    o,
  );
}

const STEP_LABEL: Record<TraceStep['step'], string> = { service: 'service', route: 'route', 'network-policy': 'network', 'egress-policy': 'egress', 'ingress-policy': 'ingress' };

/** One traced connection: the source node's branches, each completed by the destination node's answer when known. */
export interface TraceReport {
  query: TraceResult['query'];
  source: TraceResult | undefined;
  /** destination-side results by `${dst}:${port}` of a branch (or the lone destination result) */
  destinations: Map<string, TraceResult>;
  /** nodes that could not be asked */
  notes: string[];
}

export function branchKey(b: { dst: string; port?: number }): string {
  return `${b.dst}:${b.port ?? ''}`;
}

function branchVerdict(b: TraceBranch, dst: TraceResult | undefined): { verdict: 'allowed' | 'denied' | 'unknown'; steps: (TraceStep & { node?: string })[] } {
  const steps: (TraceStep & { node?: string })[] = [...b.steps];
  if (b.verdict !== 'continues') return { verdict: b.verdict, steps };
  const other = dst?.branches[0];
  if (!other) return { verdict: 'unknown', steps };
  for (const s of other.steps) steps.push({ ...s, node: dst.node });
  return { verdict: other.verdict === 'denied' ? 'denied' : 'allowed', steps };
}

/** Overall verdict: allowed when every branch (every service member) is allowed. */
export function reportVerdict(r: TraceReport): 'allowed' | 'denied' | 'partly' | 'unknown' {
  const list = r.source ? r.source.branches.map((b) => branchVerdict(b, r.destinations.get(branchKey(b))).verdict) : [...r.destinations.values()].flatMap((d) => d.branches.map((b) => (b.verdict === 'denied' ? 'denied' : 'allowed')));
  if (list.length === 0) return 'unknown';
  if (list.every((v) => v === 'allowed')) return 'allowed';
  if (list.every((v) => v === 'denied')) return 'denied';
  if (list.includes('unknown')) return 'unknown';
  return 'partly';
}

export function formatTrace(r: TraceReport): string {
  const q = r.query;
  const what = `${q.protocol}${q.port !== undefined ? `/${q.port}` : ''}`;
  const out = [`trace ${q.src} → ${q.dst} ${what}`];
  if (r.source) {
    out.push(`source ${q.src} on node ${r.source.node} (${r.source.nodeIp})`);
    for (const b of r.source.branches) {
      const { verdict, steps } = branchVerdict(b, r.destinations.get(branchKey(b)));
      out.push(`  to ${b.dst}${b.port !== undefined ? `:${b.port}` : ''}: ${verdict.toUpperCase()}`);
      for (const s of steps) out.push(`    ${STEP_LABEL[s.step].padEnd(8)} ${s.node ? `[node ${s.node}] ` : ''}${s.detail}`);
      if (b.verdict === 'continues' && !r.destinations.has(branchKey(b))) out.push(`    ingress  not evaluated: no agent answered for node ${b.nextNode}`);
    }
  } else {
    out.push(`source ${q.src}: not an interface of any agent asked`);
    for (const d of r.destinations.values()) {
      for (const b of d.branches) {
        out.push(`  at node ${d.node}: ${b.verdict.toUpperCase()}`);
        for (const s of b.steps) out.push(`    ${STEP_LABEL[s.step].padEnd(8)} ${s.detail}`);
      }
    }
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(`verdict: ${reportVerdict(r)}`);
  return out.join('\n');
}
