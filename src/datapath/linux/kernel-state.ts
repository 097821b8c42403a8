// The kernel state of one network namespace as the renderer sees it, parsed from the JSON of
// `ip -j -d link`, `ip -4 -j route show table all`, `ip -4 -j rule`, `ip -4 -j neigh`, `bridge -j fdb`
// and `nft -j list table ip <t>`. Pure: text in, plain records out.
import { formatCidr, isIpv4, parseCidr } from '../../common/ip.js';
import { DatapathKernelStateError } from '../errors.js';

export interface KLink {
  name: string;
  kind?: string;
  mtu: number;
  mac?: string;
  up: boolean;
  /** present when a veth peer lives in another namespace */
  netnsid?: number;
  vxlan?: { id: number; local?: string; link?: string; port?: number; learning?: boolean };
}

export interface KNextHop {
  gateway?: string;
  dev?: string;
  weight: number;
  onlink: boolean;
}

export interface KRoute {
  table: string;
  /** normalised a.b.c.d/len, or 0.0.0.0/0 for default */
  dst: string;
  type: string;
  metric: number;
  scope?: string;
  nexthops: KNextHop[];
}

export interface KRule {
  priority: number;
  iif?: string;
  oif?: string;
  /** a.b.c.d/len */
  dst?: string;
  src?: string;
  fwmark?: string;
  fwmask?: string;
  table: string;
  action?: string;
}

export interface KNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

export interface KFdb {
  mac: string;
  dev: string;
  dst?: string;
  state?: string;
}

export interface KNftChain {
  name: string;
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
  /** undefined when only the chain list was read */
  rules: number | undefined;
}

export interface KNftSet {
  name: string;
  /** a set, or a map (nft lists them apart and flushes them with different commands) */
  kind?: 'set' | 'map';
  elements: number;
  /** the elements as text: addresses `a.b.c.d` / `a.b.c.d/len` / `a-b`; map elements `"<key>" : jump <chain>` */
  elementTexts?: string[];
}

export interface KNftTable {
  chains: Map<string, KNftChain>;
  sets: Map<string, KNftSet>;
  /** rule comments, in order (the renderer's version marker is one of them) */
  comments: string[];
}

export interface KernelSnapshot {
  links: KLink[];
  routes: KRoute[];
  rules: KRule[];
  neighbours: KNeigh[];
  fdb: KFdb[];
  /** null when the table does not exist */
  nft: KNftTable | null;
  sysctl: Map<string, string>;
}

type J = Record<string, unknown>;

function parseArray(text: string, what: string): J[] {
  const t = text.trim();
  if (t === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (err) {
    throw new DatapathKernelStateError(`cannot parse ${what} JSON: ${err instanceof Error ? err.message : String(err)}`, { excerpt: t.slice(0, 200) });
  }
  if (!Array.isArray(v)) throw new DatapathKernelStateError(`${what}: expected a JSON array`);
  return v.filter((x): x is J => typeof x === 'object' && x !== null);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const scalar = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const flags = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** `a.b.c.d` (host), `a.b.c.d/len` or `default` → canonical a.b.c.d/len; undefined for non-IPv4. */
export function normaliseDst(dst: string | undefined, len?: number): string | undefined {
  if (dst === undefined) return undefined;
  if (dst === 'default' || dst === 'all') return '0.0.0.0/0';
  const [ip, l] = dst.split('/');
  if (!isIpv4(ip)) return undefined;
  const plen = l !== undefined ? Number(l) : (len ?? 32);
  return formatCidr(parseCidr(`${ip}/${plen}`, false));
}

export function parseLinks(text: string): KLink[] {
  return parseArray(text, 'ip link').map((l) => {
    const info = (l.linkinfo ?? {}) as J;
    const data = (info.info_data ?? {}) as J;
    const link: KLink = {
      name: str(l.ifname) ?? '',
      kind: str(info.info_kind),
      mtu: num(l.mtu) ?? 0,
      mac: str(l.address),
      up: flags(l.flags).includes('UP'),
      netnsid: num(l.link_netnsid),
    };
    if (link.kind === 'vxlan') {
      link.vxlan = {
        id: num(data.id) ?? -1,
        local: str(data.local),
        link: str(data.link),
        port: num(data.port),
        learning: typeof data.learning === 'boolean' ? data.learning : undefined,
      };
    }
    return link;
  });
}

function parseNextHop(n: J): KNextHop {
  return { gateway: str(n.gateway), dev: str(n.dev), weight: num(n.weight) ?? 1, onlink: flags(n.flags).includes('onlink') };
}

export function parseRoutes(text: string): KRoute[] {
  const out: KRoute[] = [];
  for (const r of parseArray(text, 'ip route')) {
    const dst = normaliseDst(str(r.dst));
    if (dst === undefined) continue;
    const table = scalar(r.table) ?? 'main';
    const nexthops = Array.isArray(r.nexthops) ? (r.nexthops as J[]).map(parseNextHop) : r.dev !== undefined || r.gateway !== undefined ? [parseNextHop(r)] : [];
    out.push({ table, dst, type: str(r.type) ?? 'unicast', metric: num(r.metric) ?? 0, scope: str(r.scope), nexthops });
  }
  return out;
}

export function parseRules(text: string): KRule[] {
  return parseArray(text, 'ip rule').map((r) => ({
    priority: num(r.priority) ?? 0,
    iif: str(r.iif),
    oif: str(r.oif),
    dst: normaliseDst(str(r.dst), num(r.dstlen)),
    src: str(r.src) === 'all' ? undefined : normaliseDst(str(r.src), num(r.srclen)),
    fwmark: str(r.fwmark),
    fwmask: str(r.fwmask),
    table: scalar(r.table) ?? '',
    action: str(r.action),
  }));
}

export function parseNeighbours(text: string): KNeigh[] {
  const out: KNeigh[] = [];
  for (const n of parseArray(text, 'ip neigh')) {
    const dst = str(n.dst);
    const dev = str(n.dev);
    if (dst === undefined || dev === undefined || !isIpv4(dst)) continue;
    out.push({ dst, dev, lladdr: str(n.lladdr), state: flags(n.state) });
  }
  return out;
}

export function parseFdb(text: string): KFdb[] {
  const out: KFdb[] = [];
  for (const f of parseArray(text, 'bridge fdb')) {
    const mac = str(f.mac);
    const dev = str(f.ifname) ?? str(f.dev);
    if (mac === undefined || dev === undefined) continue;
    out.push({ mac, dev, dst: str(f.dst), state: str(f.state) });
  }
  return out;
}

function nftItems(text: string): J[] | null {
  const t = text.trim();
  if (t === '' || t === 'null') return null;
  let doc: unknown;
  try {
    doc = JSON.parse(t);
  } catch (err) {
    throw new DatapathKernelStateError(`cannot parse nft JSON: ${err instanceof Error ? err.message : String(err)}`, { excerpt: t.slice(0, 200) });
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) throw new DatapathKernelStateError('nft JSON: no nftables array');
  return items as J[];
}

/** One element of `nft -j` set/map output as text (see KNftSet.elementTexts). */
export function nftElementText(e: unknown): string {
  if (typeof e === 'string' || typeof e === 'number') return String(e);
  if (Array.isArray(e) && e.length === 2) {
    const v = e[1] as J;
    const target = ((v?.jump ?? v?.goto) as J | undefined)?.target;
    const verdict = typeof target === 'string' ? `${v.jump ? 'jump' : 'goto'} ${target}` : Object.keys(v ?? {})[0] ?? '?';
    return `"${nftElementText(e[0])}" : ${verdict}`;
  }
  const o = e as J;
  const prefix = o?.prefix as J | undefined;
  if (prefix) return `${String(prefix.addr)}/${String(prefix.len)}`;
  const range = o?.range as unknown[] | undefined;
  if (Array.isArray(range)) return `${String(range[0])}-${String(range[1])}`;
  const elem = o?.elem as J | undefined;
  if (elem && 'val' in elem) return nftElementText(elem.val);
  return JSON.stringify(e);
}

/** Folds nft JSON items of family ip, table `table` into `out`; returns whether the table itself was listed. */
function collectNft(items: J[], table: string, out: KNftTable, countRules: boolean): boolean {
  let found = false;
  for (const item of items) {
    if (item.table) {
      const tb = item.table as J;
      if (tb.family === 'ip' && tb.name === table) found = true;
    } else if (item.chain) {
      const ch = item.chain as J;
      if (ch.family !== 'ip' || ch.table !== table) continue;
      const name = str(ch.name) ?? '';
      const prev = out.chains.get(name);
      out.chains.set(name, { name, type: str(ch.type), hook: str(ch.hook), prio: num(ch.prio), policy: str(ch.policy), rules: prev?.rules ?? (countRules ? 0 : undefined) });
    } else if (item.set || item.map) {
      const st = (item.set ?? item.map) as J;
      if (st.family !== 'ip' || st.table !== table) continue;
      const name = str(st.name) ?? '';
      const elem = Array.isArray(st.elem) ? (st.elem as unknown[]) : [];
      out.sets.set(name, { name, kind: item.map ? 'map' : 'set', elements: elem.length, elementTexts: elem.map(nftElementText) });
    } else if (item.rule) {
      const ru = item.rule as J;
      if (ru.family !== 'ip' || ru.table !== table) continue;
      const ch = out.chains.get(str(ru.chain) ?? '');
      if (ch && countRules) ch.rules = (ch.rules ?? 0) + 1;
      const comment = str(ru.comment);
      if (comment !== undefined) out.comments.push(comment);
    }
  }
  return found;
}

/** `nft -j list table ip <t>` output (every rule counted), or null when the table does not exist. */
export function parseNftTable(text: string, table: string): KNftTable | null {
  const items = nftItems(text);
  if (!items) return null;
  const out: KNftTable = { chains: new Map(), sets: new Map(), comments: [] };
  return collectNft(items, table, out, true) ? out : null;
}

/**
 * The cheap view of the table: `nft -j list chains ip`, `list sets ip` and the rules of one chain (the marker
 * chain). Rule counts are unknown (undefined) except for that chain. Listing 10,000 rules costs nft about
 * 0.4 s (and so does `list tables`, which fetches them too); this costs a few milliseconds. A table with
 * neither chains nor sets reads as absent.
 */
export function parseNftSummary(parts: { chains: string; sets: string; maps?: string | null; marker: string | null }, table: string, markerChain: string): KNftTable | null {
  const out: KNftTable = { chains: new Map(), sets: new Map(), comments: [] };
  collectNft(nftItems(parts.chains) ?? [], table, out, false);
  collectNft(nftItems(parts.sets) ?? [], table, out, false);
  collectNft(nftItems(parts.maps ?? '') ?? [], table, out, false);
  if (out.chains.size === 0 && out.sets.size === 0) return null;
  const marker = out.chains.get(markerChain);
  if (marker && parts.marker !== null) {
    marker.rules = 0;
    collectNft(nftItems(parts.marker) ?? [], table, out, true);
  }
  return out;
}
