// The nftables part of a pod ADD (pure): the interface's policies (its VRF's policy, its egress and ingress
// security policy) installed before its veth exists, so that a new pod is never reachable unfiltered — not
// even until the next render. The renderer knows what the table holds (NftView: from its last render, or
// read from the kernel once); the ADD adds only what is missing: the address groups and policy chains its
// rules name, and its elements in the policy maps (tf_forward, which looks them up, never changes). The next
// render rewrites the table as a whole and finds the interface there. If the transaction fails, the ADD
// falls back to dropping everything from and to the interface until that render (failClosedLines).
import { baseChainDecl, bindingGroups, FORWARD_CHAIN, FORWARD_RULES, groupSetName, interfaceBindings, mapElement, normaliseElements, POLICY_MAPS, type NftRuleset } from './nft-ruleset.js';
import type { KNftTable } from './kernel-state.js';
import type { AddressGroup, LocalInterface, Vrf } from '../model.js';

/** What the renderer's nft table holds, as far as pod ADDs care. */
export interface NftView {
  /** tf_forward and the policy maps of this layout exist */
  layout: boolean;
  chains: Set<string>;
  /** address sets → normalised elements */
  sets: Map<string, string[]>;
  /** policy maps → interface name → chain */
  maps: Map<string, Map<string, string>>;
}

const MAP_ELEMENT_RE = /^"([^"]+)" : jump (\S+)$/;

function mapEntries(elements: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of elements) {
    const m = MAP_ELEMENT_RE.exec(e);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** The view after a render applied `rs`. */
export function viewOfRuleset(rs: NftRuleset): NftView {
  const view: NftView = { layout: true, chains: new Set(rs.chains.map((c) => c.name)), sets: new Map(), maps: new Map() };
  for (const s of rs.sets) {
    if (s.kind === 'vmap') view.maps.set(s.name, mapEntries(s.elements));
    else view.sets.set(s.name, s.elements);
  }
  return view;
}

/** The view of a table read from the kernel (null: no table). */
export function viewOfTable(t: KNftTable | null): NftView {
  const view: NftView = { layout: false, chains: new Set(), sets: new Map(), maps: new Map() };
  if (!t) return view;
  for (const c of t.chains.keys()) view.chains.add(c);
  for (const s of t.sets.values()) {
    if (s.kind === 'map') view.maps.set(s.name, mapEntries(s.elementTexts ?? []));
    else view.sets.set(s.name, s.elementTexts ?? []);
  }
  view.layout = t.chains.get(FORWARD_CHAIN)?.hook === 'forward' && POLICY_MAPS.every((m) => view.maps.has(m));
  return view;
}

function cloneView(v: NftView): NftView {
  return { layout: v.layout, chains: new Set(v.chains), sets: new Map(v.sets), maps: new Map([...v.maps].map(([k, m]) => [k, new Map(m)])) };
}

export interface PodNftPlan {
  /** `nft -f` lines (one transaction); empty when the table already has everything */
  lines: string[];
  /** the view once the lines are applied */
  view: NftView;
  /** the interface is filtered (it has at least one policy) */
  filtered: boolean;
}

/**
 * The lines that give interface `f` its policies. `groups` must hold every address group those policies
 * name (validated by the caller) and may hold others (e.g. the groups `f` is a member of, so that their
 * sets learn its address at once).
 */
export function podNftPlan(table: string, f: LocalInterface, vrf: Vrf, groups: readonly AddressGroup[], current: NftView): PodNftPlan {
  const view = cloneView(current);
  const t = `ip ${table}`;
  const lines: string[] = [];
  const bindings = interfaceBindings(f, vrf);
  if (!view.layout && (bindings.length > 0 || [...view.maps.values()].some((m) => m.has(f.tap)))) {
    lines.push(`add table ${t}`, `add chain ${t} ${FORWARD_CHAIN} { ${baseChainDecl(FORWARD_CHAIN)} }`);
    for (const m of POLICY_MAPS) {
      lines.push(`add map ${t} ${m} { type ifname : verdict; }`);
      if (!view.maps.has(m)) view.maps.set(m, new Map());
    }
    lines.push(`flush chain ${t} ${FORWARD_CHAIN}`, ...FORWARD_RULES.map((r) => `add rule ${t} ${FORWARD_CHAIN} ${r}`));
    view.layout = true;
    view.chains.add(FORWARD_CHAIN);
  }
  const named = bindingGroups(f, vrf);
  for (const g of [...groups].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (!named.has(g.id) && !g.addresses.includes(f.ip)) continue;
    const name = groupSetName(g.id);
    const want = normaliseElements(g.addresses);
    const have = view.sets.get(name);
    if (have === undefined) {
      if (!named.has(g.id)) continue; // nobody uses this group's set yet
      lines.push(`add set ${t} ${name} { type ipv4_addr; flags interval; }`);
      if (want.length > 0) lines.push(`add element ${t} ${name} { ${want.join(', ')} }`);
      view.sets.set(name, want);
      continue;
    }
    const merged = normaliseElements([...have, ...want]);
    const kept = new Set(merged);
    if (have.every((e) => kept.has(e))) {
      const added = merged.filter((e) => !have.includes(e));
      if (added.length > 0) lines.push(`add element ${t} ${name} { ${added.join(', ')} }`);
    } else {
      // A new prefix covers elements the set has: nft refuses overlapping intervals, so replace them all.
      lines.push(`flush set ${t} ${name}`, `add element ${t} ${name} { ${merged.join(', ')} }`);
    }
    view.sets.set(name, merged);
  }
  for (const b of bindings) {
    if (!view.chains.has(b.chain)) {
      lines.push(`add chain ${t} ${b.chain}`, ...b.rules.map((r) => `add rule ${t} ${b.chain} ${r}`));
      view.chains.add(b.chain);
    }
  }
  for (const m of POLICY_MAPS) {
    const entries = view.maps.get(m);
    const want = bindings.find((b) => b.map === m)?.chain;
    const have = entries?.get(f.tap);
    if (have === want) continue;
    if (have !== undefined) lines.push(`delete element ${t} ${m} { "${f.tap}" }`);
    if (want !== undefined) lines.push(`add element ${t} ${m} { ${mapElement(f.tap, want)} }`);
    if (!entries) view.maps.set(m, new Map());
    const e = view.maps.get(m)!;
    if (want === undefined) e.delete(f.tap);
    else e.set(f.tap, want);
  }
  return { lines, view, filtered: bindings.length > 0 };
}

/** The fallback: nothing new from or to the interface passes until the next render replaces the table. */
export function failClosedLines(table: string, tap: string): string[] {
  const t = `ip ${table}`;
  return [
    `add table ${t}`,
    `add chain ${t} ${FORWARD_CHAIN} { ${baseChainDecl(FORWARD_CHAIN)} }`,
    `add rule ${t} ${FORWARD_CHAIN} iifname "${tap}" drop`,
    `add rule ${t} ${FORWARD_CHAIN} oifname "${tap}" drop`,
  ];
}
