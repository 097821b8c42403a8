// Introspect JSON of the agent (port 8085), named after the original's Sandesh requests that ist.py
// reads (`vr intf|vrf|route`), plus the node's status, its datapath model and trace:
//   /Snh_ItfReq?name=&uuid=&vn=&mac=&ipv4_address=   {interfaces: InterfaceView[]}
//   /Snh_VrfListReq?name=                            {vrfs: VrfView[]}
//   /Snh_Inet4UcRouteReq?vrf_index=&vrf=&src_ip=&prefix_len=   {routes: [{vrf, vrf_index, src_ip, src_plen, path_list}]}
//   /Snh_AgentXmppConnectionStatusReq                {peers: [...]} (BGP sessions to control nodes)
//   /Snh_AgentStatus                                  the agent's status and problems
//   /Snh_NodeState                                    the datapath model (NodeState) as rendered next
//   /Snh_TraceReq?src=&dst=&protocol=&port=          trace (trace.ts)
import { cidrContains, isIpv4, parseCidr, parseIpv4 } from '../common/ip.js';
import type { IntrospectRoute } from '../common/http.js';
import { AgentQueryError } from './errors.js';
import { trace, TraceQueryError, type TraceProtocol } from './trace.js';
import type { Agent } from './agent.js';
import type { RouteView } from './model.js';

const q = (u: URL, k: string): string => (u.searchParams.get(k) ?? '').trim();

function routeMatches(r: RouteView, ip: string, plen: string): boolean {
  if (ip === '') return true;
  if (!isIpv4(ip)) throw new AgentQueryError(`src_ip ${JSON.stringify(ip)} is not an IPv4 address`);
  if (plen !== '' && plen !== '32') return r.prefix === `${ip}/${plen}`;
  try {
    return cidrContains(parseCidr(r.prefix, false), parseIpv4(ip));
  } catch {
    return false;
  }
}

export function introspectRoutes(agent: Agent): Record<string, IntrospectRoute> {
  return {
    '/Snh_ItfReq': (u) => {
      const name = q(u, 'name');
      const uuid = q(u, 'uuid');
      const vn = q(u, 'vn');
      const mac = q(u, 'mac');
      const ip = q(u, 'ipv4_address');
      const list = (agent.state?.interfaces ?? []).filter(
        (i) => (!name || i.name.includes(name)) && (!uuid || i.uuid === uuid) && (!vn || i.vn_name.includes(vn)) && (!mac || i.mac === mac.toLowerCase()) && (!ip || i.ip === ip),
      );
      return { interfaces: list };
    },
    '/Snh_VrfListReq': (u) => {
      const name = q(u, 'name');
      return { vrfs: (agent.state?.vrfs ?? []).filter((v) => !name || v.name.includes(name)) };
    },
    '/Snh_Inet4UcRouteReq': (u) => {
      const idx = q(u, 'vrf_index');
      const vrfName = q(u, 'vrf');
      const vrfs = agent.state?.vrfs ?? [];
      let wanted: Set<string> | undefined;
      if (idx !== '' && idx !== '0') {
        const v = vrfs.find((x) => String(x.ucindex) === idx);
        if (!v) throw new AgentQueryError(`no VRF with index ${idx} on this node`, { vrfs: vrfs.map((x) => ({ name: x.name, ucindex: x.ucindex })) });
        wanted = new Set([v.name]);
      } else if (vrfName !== '') {
        const m = vrfs.filter((x) => x.name.includes(vrfName));
        if (m.length === 0) throw new AgentQueryError(`no VRF matching ${JSON.stringify(vrfName)} on this node`);
        wanted = new Set(m.map((x) => x.name));
      }
      const ip = q(u, 'src_ip');
      const plen = q(u, 'prefix_len');
      const index = new Map(vrfs.map((v) => [v.name, v.ucindex]));
      const routes = (agent.state?.routes ?? [])
        .filter((r) => (!wanted || wanted.has(r.vrf)) && routeMatches(r, ip, plen))
        .map((r) => ({ vrf: r.vrf, vrf_index: index.get(r.vrf) ?? 0, src_ip: r.prefix.split('/')[0], src_plen: Number(r.prefix.split('/')[1]), path_list: r.paths }));
      return { routes };
    },
    '/Snh_AgentXmppConnectionStatusReq': () => ({
      peers: (agent.bgp?.peers() ?? []).map((p) => ({
        controller_ip: p.address,
        state: p.state,
        peer_name: p.name,
        peer_address: `${p.address}:${p.port}`,
        cfg_controller: 'No',
        flap_count: p.flapCount,
        flap_time: p.flapTime ? new Date(p.flapTime).toISOString() : 'n/a',
        encoding: 'BGP',
        prefixes: p.prefixes,
        graceful_restart: p.gracefulRestart,
      })),
      headless: agent.bgp?.headless ?? false,
    }),
    '/Snh_AgentStatus': () => agent.status(),
    '/Snh_NodeState': () => agent.state?.datapath ?? null,
    '/Snh_TraceReq': (u) => {
      const state = agent.state;
      if (!state) throw new AgentQueryError('the agent has no state yet');
      const protocol = (q(u, 'protocol') || 'tcp').toLowerCase();
      if (!['tcp', 'udp', 'sctp', 'icmp'].includes(protocol)) throw new AgentQueryError(`protocol must be tcp, udp, sctp or icmp, got ${JSON.stringify(protocol)}`);
      const portText = q(u, 'port');
      const port = portText === '' ? undefined : Number(portText);
      try {
        return trace(state.datapath, agent.node, { src: q(u, 'src'), dst: q(u, 'dst'), protocol: protocol as TraceProtocol, ...(port !== undefined ? { port } : {}) });
      } catch (err) {
        if (err instanceof TraceQueryError) throw new AgentQueryError(err.message);
        throw err;
      }
    },
  };
}
