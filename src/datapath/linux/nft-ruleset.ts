// The nftables side of a node, generated from its desired state (pure). One table `ip tf` with five base
// chains that always exist (so the NAT hooks, and with them the NAT of established connections, never go
// away): tf_raw_pre / tf_raw_out (raw: untrack the node's VXLAN packets), tf_dnat (prerouting/dstnat),
// tf_forward (forward/filter), tf_snat (postrouting/srcnat); tf_mark (prerouting/mangle) only while there
// are floating IPs or SNAT rules whose replies it marks; one regular chain per distinct direction policy (tf_sg_<hash>), one
// interval set per address group (tf_g_<id>), and tf_info whose rule comment carries the ruleset hash.
//
// Rules avoid anonymous sets on purpose: every anonymous set is a kernel set, and the kernel's set-name
// allocation makes thousands of them quadratic (10k rules with 2 sets each took 89 s to load here; the
// same rules without sets take 0.3 s). An SG rule has one remote and one port range, so it is one plain
// rule; lists (address groups) are named sets shared by every rule and interface that uses them.
import { createHash } from 'node:crypto';
import { cidrContainsCidr, formatIpv4, parseCidr, type Cidr } from '../../common/ip.js';
import { VXLAN_PORT, type DirectionPolicy, type LocalInterface, type NatPort, type NodeState, type PolicyEndpoint, type SecurityRule, type Vrf, type VrfPolicy, type VrfPolicyRule } from '../model.js';
import type { KNftChain, KNftTable } from './kernel-state.js';
import type { Ownership } from './ownership.js';

export interface NftBaseChain {
  type: 'filter' | 'nat';
  hook: 'prerouting' | 'output' | 'forward' | 'postrouting';
  /** the priority keyword as written, and its number as nft reports it */
  priority: 'raw' | 'mangle' | 'dstnat' | 'filter' | 'srcnat';
  prio: number;
}

export interface NftChainSpec {
  name: string;
  base?: NftBaseChain;
  rules: string[];
}

export interface NftSetSpec {
  name: string;
  /** an interval set of IPv4 addresses, or a map from interface name to verdict */
  kind: 'addr' | 'vmap';
  /** addr: normalised addresses; vmap: `"<ifname>" : jump <chain>` */
  elements: string[];
}

export interface NftRuleset {
  table: string;
  chains: NftChainSpec[];
  sets: NftSetSpec[];
  /** hash of chains + sets, carried by the tf_info rule comment */
  hash: string;
}

export const MARKER_PREFIX = 'tf-datapath v2 ';
export const MARKER_CHAIN = 'tf_info';
const JHASH_SEED = '0x7466';

const BASE: Record<string, NftBaseChain> = {
  tf_raw_pre: { type: 'filter', hook: 'prerouting', priority: 'raw', prio: -300 },
  tf_raw_out: { type: 'filter', hook: 'output', priority: 'raw', prio: -300 },
  tf_mark: { type: 'filter', hook: 'prerouting', priority: 'mangle', prio: -150 },
  tf_dnat: { type: 'nat', hook: 'prerouting', priority: 'dstnat', prio: -100 },
  tf_forward: { type: 'filter', hook: 'forward', priority: 'filter', prio: 0 },
  tf_snat: { type: 'nat', hook: 'postrouting', priority: 'srcnat', prio: 100 },
};

/** Verdict maps from interface name to policy chain. */
export const MAP_VN = 'tf_vn';
export const MAP_EGRESS = 'tf_egress';
export const MAP_INGRESS = 'tf_ingress';
export const POLICY_MAPS = [MAP_VN, MAP_EGRESS, MAP_INGRESS] as const;
export const FORWARD_CHAIN = 'tf_forward';

/**
 * tf_forward, the same on every node and in every state: replies of accepted connections pass; a new one
 * passes the VRF policy of the interface it comes from and of the one it goes to, the egress policy of its
 * source interface and the ingress policy of its destination interface (each a jump that returns or drops).
 */
export const FORWARD_RULES: readonly string[] = [
  'ct state established,related accept',
  `iifname vmap @${MAP_VN}`,
  `oifname vmap @${MAP_VN}`,
  `iifname vmap @${MAP_EGRESS}`,
  `oifname vmap @${MAP_INGRESS}`,
];

const shortHash = (s: string, n = 12): string => createHash('sha256').update(s).digest('hex').slice(0, n);
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const quote = (s: string): string => `"${s}"`;

/** nft set name for an address group id: tf_g_<id>, with a hash suffix when the id needed escaping. */
export function groupSetName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9_]/g, '_');
  return safe === id ? `tf_g_${id}` : `tf_g_${safe}_${shortHash(id, 6)}`;
}

function addrText(c: Cidr): string {
  return c.len === 32 ? formatIpv4(c.addr) : `${formatIpv4(c.addr)}/${c.len}`;
}

/** Sorted, de-duplicated elements with every prefix covered by another one removed (nft rejects overlaps). */
export function normaliseElements(addresses: readonly string[]): string[] {
  const cidrs = addresses.map((a) => parseCidr(a.includes('/') ? a : `${a}/32`, false));
  cidrs.sort((a, b) => a.len - b.len || a.addr - b.addr);
  const kept: Cidr[] = [];
  for (const c of cidrs) if (!kept.some((k) => cidrContainsCidr(k, c))) kept.push(c);
  kept.sort((a, b) => a.addr - b.addr);
  return kept.map(addrText);
}

/** One SG rule as an nft rule that returns (allows) on match; `dir` decides whether remote is saddr or daddr. */
export function securityRuleText(r: SecurityRule, dir: 'ingress' | 'egress'): string {
  const field = dir === 'ingress' ? 'saddr' : 'daddr';
  const parts: string[] = [];
  if (r.remoteCidr !== undefined) {
    const c = parseCidr(r.remoteCidr, false);
    if (c.len > 0) parts.push(`ip ${field} ${addrText(c)}`);
  }
  if (r.remoteGroup !== undefined) parts.push(`ip ${field} @${groupSetName(r.remoteGroup)}`);
  const p = r.protocol;
  if (typeof p === 'number') parts.push(`meta l4proto ${p}`);
  else if (p !== 'any') {
    const full = r.ports === undefined || (r.ports.from === 0 && r.ports.to === 65535);
    if (full || p === 'icmp') parts.push(`meta l4proto ${p}`);
    else {
      const { from, to } = r.ports!;
      parts.push(`${p} dport ${from === to ? from : `${from}-${to}`}`);
    }
  }
  parts.push('return');
  return parts.join(' ');
}

/** A direction policy as chain rules, or null when it lets everything through (no chain needed). */
export function directionRules(d: DirectionPolicy, dir: 'ingress' | 'egress'): string[] | null {
  if (d.default === 'allow') return null;
  return [...d.rules.map((r) => securityRuleText(r, dir)), 'drop'];
}

function endpointMatch(e: PolicyEndpoint | undefined, field: 'saddr' | 'daddr'): string | undefined {
  if (e?.group !== undefined) return `ip ${field} @${groupSetName(e.group)}`;
  if (e?.cidr !== undefined) {
    const c = parseCidr(e.cidr, false);
    return c.len > 0 ? `ip ${field} ${addrText(c)}` : undefined;
  }
  return undefined;
}

const portText = (r: { from: number; to: number }): string => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);
const fullRange = (r: { from: number; to: number } | undefined): boolean => r === undefined || (r.from === 0 && r.to === 65535);

/**
 * One VRF policy rule as nft rules (pass → return, deny → drop). Protocol 'any' with a port range becomes
 * one rule per port protocol (tcp, udp, sctp); an empty list means the rule can never match.
 */
export function vrfRuleTexts(r: VrfPolicyRule): string[] {
  const addr = [endpointMatch(r.src, 'saddr'), endpointMatch(r.dst, 'daddr')].filter((x): x is string => x !== undefined);
  const verdict = r.action === 'pass' ? 'return' : 'drop';
  const portful = !fullRange(r.srcPorts) || !fullRange(r.dstPorts);
  const l4 = (p: string): string[] => {
    const parts: string[] = [];
    if (!fullRange(r.srcPorts)) parts.push(`${p} sport ${portText(r.srcPorts!)}`);
    if (!fullRange(r.dstPorts)) parts.push(`${p} dport ${portText(r.dstPorts!)}`);
    return parts.length > 0 ? parts : [`meta l4proto ${p}`];
  };
  const p = r.protocol;
  let protos: string[][];
  if (typeof p === 'number') protos = [[`meta l4proto ${p}`]];
  else if (p === 'any') protos = portful ? ['tcp', 'udp', 'sctp'].map(l4) : [[]];
  else if (p === 'icmp') protos = [['meta l4proto icmp']];
  else protos = [l4(p)];
  return protos.map((x) => [...addr, ...x, verdict].join(' '));
}

/** A VRF policy as chain rules, or null when it lets everything through (no chain needed). */
export function vrfPolicyRules(pol: VrfPolicy): string[] | null {
  const rules = pol.rules.flatMap(vrfRuleTexts);
  // Trailing pass rules before a default pass change nothing.
  if (pol.default === 'pass') {
    while (rules.length > 0 && / ?return$/.test(rules[rules.length - 1])) rules.pop();
    return rules.length === 0 ? null : rules;
  }
  return [...rules, 'drop'];
}

/** One interface's entry in a policy map: the map, and the chain (name and rules) it jumps to. */
export interface PolicyBinding {
  map: (typeof POLICY_MAPS)[number];
  chain: string;
  rules: string[];
}

/** The policy chains an interface jumps to: its VRF's policy, its egress and its ingress security policy. */
export function interfaceBindings(f: LocalInterface, vrf: Pick<Vrf, 'policy'> | undefined): PolicyBinding[] {
  const out: PolicyBinding[] = [];
  const vn = vrf?.policy ? vrfPolicyRules(vrf.policy) : null;
  if (vn) out.push({ map: MAP_VN, chain: `tf_vn_${shortHash(vn.join('\n'))}`, rules: vn });
  if (f.policy) {
    for (const dir of ['egress', 'ingress'] as const) {
      const rules = directionRules(f.policy[dir], dir);
      if (rules) out.push({ map: dir === 'egress' ? MAP_EGRESS : MAP_INGRESS, chain: `tf_sg_${shortHash(rules.join('\n'))}`, rules });
    }
  }
  return out;
}

export const mapElement = (tap: string, chain: string): string => `${quote(tap)} : jump ${chain}`;

/** The address groups an interface's policies name. */
export function bindingGroups(f: LocalInterface, vrf: Pick<Vrf, 'policy'> | undefined): Set<string> {
  const out = new Set<string>();
  for (const d of f.policy ? [f.policy.ingress, f.policy.egress] : []) for (const r of d.rules) if (r.remoteGroup !== undefined) out.add(r.remoteGroup);
  for (const r of vrf?.policy?.rules ?? []) for (const e of [r.src, r.dst]) if (e?.group !== undefined) out.add(e.group);
  return out;
}

function dnatTarget(np: NatPort): string {
  const ms = np.members;
  if (ms.length === 1) return `dnat ip to ${ms[0].ip}:${ms[0].port}`;
  const map = ms.map((m, i) => `${i} : ${m.ip} . ${m.port}`).join(', ');
  return `dnat ip to jhash ip saddr . ${np.protocol} sport mod ${ms.length} seed ${JHASH_SEED} map { ${map} }`;
}

function natRules(match: string, ip: string, ports: NatPort[], dropUndeclared: boolean | undefined, extra = ''): string[] {
  const rules: string[] = [];
  for (const np of ports) {
    const head = `${match}ip daddr ${ip} ${np.protocol} dport ${np.port}`;
    rules.push(np.members.length === 0 ? `${head} drop` : `${head} ${extra}${dnatTarget(np)}`);
  }
  if (dropUndeclared !== false) rules.push(`${match}ip daddr ${ip} drop`);
  return rules;
}

export function buildRuleset(state: NodeState, own: Ownership): NftRuleset {
  const mark = hex(own.fipReplyMark);
  const ul = state.underlay.device;

  const sets: NftSetSpec[] = state.addressGroups.map((g) => ({ name: groupSetName(g.id), kind: 'addr' as const, elements: normaliseElements(g.addresses) }));

  const vrfs = new Map(state.vrfs.map((v) => [v.name, v]));
  const policyChains = new Map<string, string[]>();
  const maps = new Map<string, string[]>(POLICY_MAPS.map((m) => [m, []]));
  for (const f of [...state.interfaces].sort((a, b) => (a.tap < b.tap ? -1 : 1))) {
    for (const b of interfaceBindings(f, vrfs.get(f.vrf))) {
      policyChains.set(b.chain, b.rules);
      maps.get(b.map)!.push(mapElement(f.tap, b.chain));
    }
  }
  for (const [name, elements] of maps) sets.push({ name, kind: 'vmap', elements });
  sets.sort((a, b) => (a.name < b.name ? -1 : 1));

  const forward = [...FORWARD_RULES];

  const dnat: string[] = [];
  for (const s of [...state.services].sort((a, b) => (a.vip < b.vip ? -1 : 1))) dnat.push(...natRules('', s.vip, s.ports, s.dropUndeclared));
  for (const f of [...state.floatingIps].sort((a, b) => (a.ip < b.ip ? -1 : 1))) {
    dnat.push(...natRules(`iifname ${quote(ul)} `, f.ip, f.ports, f.dropUndeclared, `ct mark set ct mark | ${mark} `));
  }

  const markRules: string[] = [];
  if (state.floatingIps.length > 0) markRules.push(`ct direction reply ct mark & ${mark} == ${mark} meta mark set meta mark | ${mark}`);
  if (state.snat.length > 0) {
    const snatMark = hex(own.snatReplyMark);
    markRules.push(`ct direction reply ct status snat meta mark set meta mark | ${snatMark}`);
  }

  const snat: string[] = [];
  // Hairpin: a pod reaching a service that picked the pod itself would get its own address as source and
  // answer on its loopback, outside conntrack; make the reply go to its gateway (the tap) instead.
  const members = new Set(state.services.flatMap((s) => s.ports.flatMap((p) => p.members.map((m) => m.ip))));
  for (const f of [...state.interfaces].sort((a, b) => (a.tap < b.tap ? -1 : 1))) {
    if (members.has(f.ip)) snat.push(`ip saddr ${f.ip} ip daddr ${f.ip} ct status dnat snat ip to ${f.gateway}`);
  }
  for (const r of state.snat) {
    for (const src of normaliseElements(r.sources)) snat.push(`oifname ${quote(r.outInterface ?? ul)} ip saddr ${src} masquerade`);
  }

  // The node's own VXLAN packets (outer UDP) need no connection tracking: untracking them halves the
  // conntrack work per overlay packet (the inner flow is tracked in the forward path).
  const vx = `udp dport ${VXLAN_PORT} notrack`;
  const chains: NftChainSpec[] = [
    { name: 'tf_raw_pre', base: BASE.tf_raw_pre, rules: [`ip daddr ${state.underlay.ip} ${vx}`] },
    { name: 'tf_raw_out', base: BASE.tf_raw_out, rules: [`ip saddr ${state.underlay.ip} ${vx}`] },
    // A filter chain holds no state: without marks to set it is left out, one hook fewer per packet.
    ...(markRules.length > 0 ? [{ name: 'tf_mark', base: BASE.tf_mark, rules: markRules }] : []),
    { name: 'tf_dnat', base: BASE.tf_dnat, rules: dnat },
    { name: 'tf_forward', base: BASE.tf_forward, rules: forward },
    { name: 'tf_snat', base: BASE.tf_snat, rules: snat },
    ...[...policyChains.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, rules]) => ({ name, rules })),
  ];
  const hash = shortHash(JSON.stringify({ chains, sets }), 16);
  chains.push({ name: MARKER_CHAIN, rules: [`return comment ${quote(MARKER_PREFIX + hash)}`] });
  return { table: own.nftTable, chains, sets, hash };
}

/** `type … hook … priority …; policy accept;` of a base chain. */
export function baseChainDecl(name: string): string {
  const b = BASE[name];
  if (!b) throw new RangeError(`${name} is not a base chain`);
  return `type ${b.type} hook ${b.hook} priority ${b.priority}; policy accept;`;
}

/** The table's declaration as nft -f text. */
export function rulesetText(rs: NftRuleset): string {
  const out = [`table ip ${rs.table} {`];
  for (const s of rs.sets) {
    if (s.kind === 'vmap') out.push(`\tmap ${s.name} {`, '\t\ttype ifname : verdict');
    else out.push(`\tset ${s.name} {`, '\t\ttype ipv4_addr', '\t\tflags interval');
    if (s.elements.length > 0) out.push(`\t\telements = { ${s.elements.join(', ')} }`);
    out.push('\t}');
  }
  for (const c of rs.chains) {
    out.push(`\tchain ${c.name} {`);
    if (c.base) out.push(`\t\t${baseChainDecl(c.name)}`);
    for (const r of c.rules) out.push(`\t\t${r}`);
    out.push('\t}');
  }
  out.push('}');
  return out.join('\n') + '\n';
}

function baseDiffers(want: NftBaseChain | undefined, have: KNftChain): boolean {
  if (!want) return have.hook !== undefined;
  return have.type !== want.type || have.hook !== want.hook || have.prio !== want.prio;
}

/**
 * True when the kernel's table carries this ruleset's marker and has exactly its chains, sets and set sizes,
 * and the same number of rules in every chain whose rules were read.
 */
export function rulesetInSync(rs: NftRuleset, have: KNftTable | null): boolean {
  if (!have) return false;
  if (!have.comments.includes(MARKER_PREFIX + rs.hash)) return false;
  if (have.chains.size !== rs.chains.length || have.sets.size !== rs.sets.length) return false;
  for (const c of rs.chains) {
    const h = have.chains.get(c.name);
    if (!h || (h.rules !== undefined && h.rules !== c.rules.length) || baseDiffers(c.base, h)) return false;
  }
  for (const s of rs.sets) {
    const h = have.sets.get(s.name);
    if (!h || h.elements !== s.elements.length || (h.kind ?? 'set') !== (s.kind === 'vmap' ? 'map' : 'set')) return false;
  }
  return true;
}

/**
 * One nft -f transaction that turns whatever table exists into exactly this ruleset: create the table if
 * missing, flush its rules and the elements of kept sets, delete chains and sets no longer wanted (and base
 * chains whose hook differs), then declare everything. Applied atomically; conntrack entries survive.
 */
export function rulesetScript(rs: NftRuleset, have: KNftTable | null): string {
  const t = rs.table;
  const lines = [`table ip ${t} {}`, `flush table ip ${t}`];
  if (have) {
    const wantChains = new Map(rs.chains.map((c) => [c.name, c]));
    const wantSets = new Map(rs.sets.map((s) => [s.name, s.kind === 'vmap' ? 'map' : 'set']));
    for (const [name, h] of [...have.sets.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const kind = h.kind ?? 'set';
      lines.push(wantSets.get(name) === kind ? `flush ${kind} ip ${t} ${name}` : `delete ${kind} ip ${t} ${name}`);
    }
    for (const [name, h] of [...have.chains.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const want = wantChains.get(name);
      if (!want || baseDiffers(want.base, h)) lines.push(`delete chain ip ${t} ${name}`);
    }
  }
  return lines.join('\n') + '\n' + rulesetText(rs);
}

export function deleteTableScript(table: string): string {
  return `delete table ip ${table}\n`;
}
