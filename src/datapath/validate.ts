// Checks a desired node state (possibly straight from JSON) before anything is written: shapes, address
// syntax, references between parts (interface → VRF, route → tap, rule → address group, floating-IP
// member → local interface) and uniqueness. Collects every problem; throws one DatapathModelError.
import { isIpv4, parseCidr } from '../common/ip.js';
import { DatapathModelError, type Problem } from './errors.js';
import type {
  AddressGroup,
  DirectionPolicy,
  FloatingIpNat,
  InterfacePolicy,
  LocalInterface,
  NatPort,
  NextHop,
  NodeState,
  PortRange,
  Route,
  SecurityRule,
  ServiceNat,
  SnatRule,
  Underlay,
  Vrf,
  VrfPolicy,
} from './model.js';
import { DEFAULT_OWNERSHIP, type Ownership } from './linux/ownership.js';

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const TAP_RE = /^[A-Za-z0-9_-]{1,15}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const GROUP_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'icmp', 'any']);
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

type Obj = Record<string, unknown>;

class Checker {
  readonly problems: Problem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  obj(v: unknown, path: string): v is Obj {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return true;
    this.add(path, 'must be an object');
    return false;
  }
  arr(v: unknown, path: string): v is unknown[] {
    if (Array.isArray(v)) return true;
    this.add(path, 'must be an array');
    return false;
  }
  str(v: unknown, path: string, re?: RegExp, what = 'a valid value'): v is string {
    if (typeof v !== 'string' || v === '') {
      this.add(path, 'must be a non-empty string');
      return false;
    }
    if (re && !re.test(v)) {
      this.add(path, `${JSON.stringify(v)} is not ${what}`);
      return false;
    }
    return true;
  }
  int(v: unknown, path: string, min: number, max: number): v is number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.add(path, `must be an integer in ${min}..${max}`);
      return false;
    }
    return true;
  }
  ip(v: unknown, path: string): v is string {
    if (typeof v !== 'string' || !isIpv4(v)) {
      this.add(path, `${JSON.stringify(v)} is not an IPv4 address`);
      return false;
    }
    return true;
  }
  cidr(v: unknown, path: string): v is string {
    if (typeof v !== 'string') return this.str(v, path);
    try {
      parseCidr(v);
      return true;
    } catch (err) {
      this.add(path, err instanceof Error ? err.message : String(err));
      return false;
    }
  }
  optional<T>(o: Obj, key: string, path: string, check: (v: unknown, p: string) => v is T): boolean {
    return o[key] === undefined || check(o[key], `${path}.${key}`);
  }
}

export interface ValidateOptions {
  ownership?: Pick<Ownership, 'tapPrefix' | 'tableRange'>;
}

/** Returns the input typed as NodeState, or throws DatapathModelError listing every problem. */
export function validateNodeState(input: unknown, opts: ValidateOptions = {}): NodeState {
  const own = opts.ownership ?? DEFAULT_OWNERSHIP;
  const c = new Checker();
  if (!c.obj(input, '$')) throw new DatapathModelError(c.problems);
  for (const key of ['vrfs', 'interfaces', 'routes', 'addressGroups', 'services', 'floatingIps', 'snat']) c.arr(input[key], key);
  if (c.problems.length > 0) throw new DatapathModelError(c.problems);
  const s = input as unknown as NodeState;

  checkUnderlay(c, s.underlay);
  const groups = checkGroups(c, s.addressGroups);
  const vrfs = checkVrfs(c, s.vrfs, own.tableRange, groups);
  const ifaces = checkInterfaces(c, s.interfaces, vrfs, groups, own.tapPrefix);
  checkRoutes(c, s.routes, vrfs, ifaces);
  checkServices(c, s.services);
  checkFloatingIps(c, s.floatingIps, ifaces);
  checkSnat(c, s.snat);
  if (c.problems.length > 0) throw new DatapathModelError(c.problems);
  return s;
}

function checkUnderlay(c: Checker, u: Underlay): void {
  if (!c.obj(u, 'underlay')) return;
  c.str(u.device, 'underlay.device', IFNAME_RE, 'an interface name');
  c.ip(u.ip, 'underlay.ip');
  c.optional(u, 'mtu', 'underlay', (v, p): v is number => c.int(v, p, 118, 65535));
}

function checkVrfs(c: Checker, vrfs: Vrf[], tableRange: readonly [number, number], groups: Set<string>): Map<string, Vrf> {
  const byName = new Map<string, Vrf>();
  const tables = new Set<number>();
  const vnis = new Set<number>();
  vrfs.forEach((v, i) => {
    const p = `vrfs[${i}]`;
    if (!c.obj(v, p)) return;
    if (c.str(v.name, `${p}.name`)) {
      if (byName.has(v.name)) c.add(`${p}.name`, `duplicate VRF ${JSON.stringify(v.name)}`);
      else byName.set(v.name, v);
    }
    if (c.int(v.table, `${p}.table`, tableRange[0], tableRange[1])) {
      if (tables.has(v.table)) c.add(`${p}.table`, `table ${v.table} used by two VRFs`);
      tables.add(v.table);
    }
    if (c.int(v.vni, `${p}.vni`, 1, 0xffffff)) {
      if (vnis.has(v.vni)) c.add(`${p}.vni`, `VNI ${v.vni} used by two VRFs`);
      vnis.add(v.vni);
    }
    if (v.onMiss !== undefined && v.onMiss !== 'drop' && v.onMiss !== 'main') c.add(`${p}.onMiss`, "must be 'drop' or 'main'");
    if (v.policy !== undefined) checkVrfPolicy(c, v.policy, `${p}.policy`, groups);
  });
  return byName;
}

function checkVrfPolicy(c: Checker, pol: VrfPolicy, p: string, groups: Set<string>): void {
  if (!c.obj(pol, p)) return;
  if (pol.default !== 'pass' && pol.default !== 'deny') c.add(`${p}.default`, "must be 'pass' or 'deny'");
  if (!c.arr(pol.rules, `${p}.rules`)) return;
  pol.rules.forEach((r, i) => {
    const q = `${p}.rules[${i}]`;
    if (!c.obj(r, q)) return;
    if (r.action !== 'pass' && r.action !== 'deny') c.add(`${q}.action`, "must be 'pass' or 'deny'");
    checkProtocol(c, r.protocol, `${q}.protocol`);
    for (const k of ['srcPorts', 'dstPorts'] as const) {
      const range = r[k];
      if (range === undefined) continue;
      if (typeof r.protocol !== 'string' || !(PORT_PROTOCOLS.has(r.protocol) || r.protocol === 'any')) c.add(`${q}.${k}`, 'ports need protocol tcp, udp, sctp or any');
      checkPortRange(c, range, `${q}.${k}`);
    }
    for (const k of ['src', 'dst'] as const) {
      const e = r[k];
      if (e === undefined || !c.obj(e, `${q}.${k}`)) continue;
      if ((e.cidr === undefined) === (e.group === undefined)) c.add(`${q}.${k}`, 'must have exactly one of cidr and group');
      if (e.cidr !== undefined) c.cidr(e.cidr, `${q}.${k}.cidr`);
      if (e.group !== undefined && c.str(e.group, `${q}.${k}.group`) && !groups.has(e.group)) c.add(`${q}.${k}.group`, `unknown address group ${JSON.stringify(e.group)}`);
    }
    if (r.id !== undefined) c.str(r.id, `${q}.id`);
  });
}

function checkProtocol(c: Checker, proto: unknown, p: string): void {
  if (typeof proto === 'number') c.int(proto, p, 0, 255);
  else if (typeof proto !== 'string' || !PROTOCOLS.has(proto)) c.add(p, 'must be tcp, udp, sctp, icmp, any or a protocol number');
}

function checkPortRange(c: Checker, r: PortRange, p: string): void {
  if (!c.obj(r, p)) return;
  const okFrom = c.int(r.from, `${p}.from`, 0, 65535);
  const okTo = c.int(r.to, `${p}.to`, 0, 65535);
  if (okFrom && okTo && r.from > r.to) c.add(p, 'from must not exceed to');
}

function checkGroups(c: Checker, groups: AddressGroup[]): Set<string> {
  const ids = new Set<string>();
  groups.forEach((g, i) => {
    const p = `addressGroups[${i}]`;
    if (!c.obj(g, p)) return;
    if (c.str(g.id, `${p}.id`, GROUP_ID_RE, 'a group id ([A-Za-z0-9_.:-], ≤ 128)')) {
      if (ids.has(g.id)) c.add(`${p}.id`, `duplicate address group ${JSON.stringify(g.id)}`);
      ids.add(g.id);
    }
    if (c.arr(g.addresses, `${p}.addresses`)) g.addresses.forEach((a, j) => c.cidr(a, `${p}.addresses[${j}]`));
  });
  return ids;
}

function checkInterfaces(c: Checker, ifaces: LocalInterface[], vrfs: Map<string, Vrf>, groups: Set<string>, tapPrefix: string): Map<string, LocalInterface> {
  const byTap = new Map<string, LocalInterface>();
  const ips = new Set<string>();
  ifaces.forEach((f, i) => {
    const p = `interfaces[${i}]`;
    if (!c.obj(f, p)) return;
    if (c.str(f.tap, `${p}.tap`, TAP_RE, 'a tap name (≤ 15 characters of [A-Za-z0-9_-])')) {
      if (!f.tap.startsWith(tapPrefix) || f.tap.length === tapPrefix.length) c.add(`${p}.tap`, `must start with ${JSON.stringify(tapPrefix)}`);
      if (byTap.has(f.tap)) c.add(`${p}.tap`, `duplicate tap ${JSON.stringify(f.tap)}`);
      else byTap.set(f.tap, f);
    }
    c.str(f.netns, `${p}.netns`, /^[^\s\0]+$/, 'a namespace name or path');
    c.str(f.ifname, `${p}.ifname`, IFNAME_RE, 'an interface name (≤ 15 characters)');
    if (c.str(f.mac, `${p}.mac`, MAC_RE, 'a lowercase MAC address') && (parseInt(f.mac.slice(0, 2), 16) & 1) === 1) {
      c.add(`${p}.mac`, 'must be a unicast MAC');
    }
    if (c.ip(f.ip, `${p}.ip`)) {
      if (ips.has(f.ip)) c.add(`${p}.ip`, `address ${f.ip} used by two interfaces on this node`);
      ips.add(f.ip);
    }
    c.int(f.plen, `${p}.plen`, 1, 32);
    c.ip(f.gateway, `${p}.gateway`);
    if (f.gateway === f.ip) c.add(`${p}.gateway`, 'must differ from the interface address');
    c.optional(f, 'mtu', p, (v, q): v is number => c.int(v, q, 68, 65535));
    if (c.str(f.vrf, `${p}.vrf`) && !vrfs.has(f.vrf)) c.add(`${p}.vrf`, `unknown VRF ${JSON.stringify(f.vrf)}`);
    if (f.policy !== undefined) checkPolicy(c, f.policy, `${p}.policy`, groups);
  });
  return byTap;
}

function checkPolicy(c: Checker, pol: InterfacePolicy, p: string, groups: Set<string>): void {
  if (!c.obj(pol, p)) return;
  for (const dir of ['ingress', 'egress'] as const) {
    const d: DirectionPolicy = pol[dir];
    const q = `${p}.${dir}`;
    if (!c.obj(d, q)) continue;
    if (d.default !== 'allow' && d.default !== 'deny') c.add(`${q}.default`, "must be 'allow' or 'deny'");
    if (c.arr(d.rules, `${q}.rules`)) d.rules.forEach((r, i) => checkRule(c, r, `${q}.rules[${i}]`, groups));
  }
}

function checkRule(c: Checker, r: SecurityRule, p: string, groups: Set<string>): void {
  if (!c.obj(r, p)) return;
  const proto = r.protocol;
  checkProtocol(c, proto, `${p}.protocol`);
  if (r.ports !== undefined) {
    if (typeof proto !== 'string' || !PORT_PROTOCOLS.has(proto)) c.add(`${p}.ports`, 'ports need protocol tcp, udp or sctp');
    checkPortRange(c, r.ports, `${p}.ports`);
  }
  if (r.remoteCidr !== undefined && r.remoteGroup !== undefined) c.add(p, 'at most one of remoteCidr and remoteGroup');
  if (r.remoteCidr !== undefined) c.cidr(r.remoteCidr, `${p}.remoteCidr`);
  if (r.remoteGroup !== undefined && c.str(r.remoteGroup, `${p}.remoteGroup`) && !groups.has(r.remoteGroup)) {
    c.add(`${p}.remoteGroup`, `unknown address group ${JSON.stringify(r.remoteGroup)}`);
  }
  if (r.id !== undefined) c.str(r.id, `${p}.id`);
}

function checkNextHop(c: Checker, nh: NextHop, p: string, ifaces: Map<string, LocalInterface>): void {
  if (!c.obj(nh, p)) return;
  const o = nh as unknown as Obj;
  const local = o.interface !== undefined;
  const remote = o.node !== undefined || o.vni !== undefined;
  if (local === remote) {
    c.add(p, 'must have either interface (local) or node and vni (remote)');
    return;
  }
  if (local) {
    if (c.str(o.interface, `${p}.interface`) && !ifaces.has(o.interface)) c.add(`${p}.interface`, `unknown local interface ${JSON.stringify(o.interface)}`);
  } else {
    c.ip(o.node, `${p}.node`);
    c.int(o.vni, `${p}.vni`, 1, 0xffffff);
  }
  c.optional(o, 'weight', p, (v, q): v is number => c.int(v, q, 1, 256));
}

function checkRoutes(c: Checker, routes: Route[], vrfs: Map<string, Vrf>, ifaces: Map<string, LocalInterface>): void {
  const seen = new Set<string>();
  routes.forEach((r, i) => {
    const p = `routes[${i}]`;
    if (!c.obj(r, p)) return;
    if (c.str(r.vrf, `${p}.vrf`) && !vrfs.has(r.vrf)) c.add(`${p}.vrf`, `unknown VRF ${JSON.stringify(r.vrf)}`);
    if (c.cidr(r.prefix, `${p}.prefix`)) {
      const key = `${r.vrf}|${r.prefix}`;
      if (seen.has(key)) c.add(`${p}.prefix`, `duplicate route ${r.prefix} in VRF ${r.vrf}`);
      seen.add(key);
    }
    if (c.arr(r.nexthops, `${p}.nexthops`)) {
      if (r.nexthops.length === 0) c.add(`${p}.nexthops`, 'must not be empty');
      const keys = new Set<string>();
      r.nexthops.forEach((nh, j) => {
        checkNextHop(c, nh, `${p}.nexthops[${j}]`, ifaces);
        const k = JSON.stringify([(nh as unknown as Obj).interface, (nh as unknown as Obj).node, (nh as unknown as Obj).vni]);
        if (keys.has(k)) c.add(`${p}.nexthops[${j}]`, 'duplicate next hop');
        keys.add(k);
      });
    }
  });
}

function checkNatPorts(c: Checker, ports: NatPort[], p: string, memberOk?: (ip: string) => boolean): void {
  if (!c.arr(ports, p)) return;
  const seen = new Set<string>();
  ports.forEach((np, i) => {
    const q = `${p}[${i}]`;
    if (!c.obj(np, q)) return;
    if (typeof np.protocol !== 'string' || !PORT_PROTOCOLS.has(np.protocol)) c.add(`${q}.protocol`, 'must be tcp, udp or sctp');
    if (c.int(np.port, `${q}.port`, 1, 65535)) {
      const k = `${np.protocol}/${np.port}`;
      if (seen.has(k)) c.add(`${q}.port`, `duplicate port ${k}`);
      seen.add(k);
    }
    if (c.arr(np.members, `${q}.members`)) {
      np.members.forEach((m, j) => {
        const r = `${q}.members[${j}]`;
        if (!c.obj(m, r)) return;
        if (c.ip(m.ip, `${r}.ip`) && memberOk && !memberOk(m.ip)) c.add(`${r}.ip`, `${m.ip} is not a local interface address`);
        c.int(m.port, `${r}.port`, 1, 65535);
      });
    }
  });
}

function checkServices(c: Checker, services: ServiceNat[]): void {
  const vips = new Set<string>();
  services.forEach((s, i) => {
    const p = `services[${i}]`;
    if (!c.obj(s, p)) return;
    if (c.ip(s.vip, `${p}.vip`)) {
      if (vips.has(s.vip)) c.add(`${p}.vip`, `duplicate service VIP ${s.vip}`);
      vips.add(s.vip);
    }
    checkNatPorts(c, s.ports, `${p}.ports`);
    if (s.dropUndeclared !== undefined && typeof s.dropUndeclared !== 'boolean') c.add(`${p}.dropUndeclared`, 'must be a boolean');
  });
}

function checkFloatingIps(c: Checker, fips: FloatingIpNat[], ifaces: Map<string, LocalInterface>): void {
  const localIps = new Set([...ifaces.values()].map((f) => f.ip));
  const seen = new Set<string>();
  fips.forEach((f, i) => {
    const p = `floatingIps[${i}]`;
    if (!c.obj(f, p)) return;
    if (c.ip(f.ip, `${p}.ip`)) {
      if (seen.has(f.ip)) c.add(`${p}.ip`, `duplicate floating IP ${f.ip}`);
      seen.add(f.ip);
    }
    checkNatPorts(c, f.ports, `${p}.ports`, (ip) => localIps.has(ip));
    if (f.dropUndeclared !== undefined && typeof f.dropUndeclared !== 'boolean') c.add(`${p}.dropUndeclared`, 'must be a boolean');
  });
}

function checkSnat(c: Checker, rules: SnatRule[]): void {
  rules.forEach((r, i) => {
    const p = `snat[${i}]`;
    if (!c.obj(r, p)) return;
    if (c.arr(r.sources, `${p}.sources`)) r.sources.forEach((s, j) => c.cidr(s, `${p}.sources[${j}]`));
    if (r.outInterface !== undefined) c.str(r.outInterface, `${p}.outInterface`, IFNAME_RE, 'an interface name');
  });
}
