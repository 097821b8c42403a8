// tfctl vr: the vRouter agent's introspect, like ist.py vr (intf, vrf, route, xmpp) plus status;
// -o json prints the introspect JSON for scripts.
import { defaultAgentIntrospectUrl, ENV } from '../common/defaults.js';
import { errorMessage } from '../common/errors.js';
import { formatInterfaces, formatPeers, formatRoutes, formatVrfs, type PeerRow, type RouteEntry } from '../agent/cli-format.js';
import type { InterfaceView, VrfView } from '../agent/model.js';
import { intOption, parseCommandArgs, UsageError, type CommandModule } from './command.js';

const usage = `usage: tfctl vr [--host URL] [-o json] [--max-width N] <command>

commands:
  intf [name]                  interfaces: index, name, active, mac_addr, ip_addr, mdata_ip_addr, vm_name, vn_name
      -u, --uuid U             only the interface with this VMI uuid
      -i, --ipv4 A             only the interface with this address
      --vn N                   only interfaces of networks matching N
  vrf [name]                   VRFs: name, ucindex (kernel table), mcindex, brindex, evpnindex, vxlan_id, vn
  route [address|prefix]       routes with their paths ([peer] pref, next hop); an address is a longest match
      -v, --vrf V              only VRF V (its ucindex or a part of its name); default every VRF
  xmpp                         sessions to the control nodes (BGP here): controller_ip, state, peer_name, …
  status                       the agent's status (config, render, headless, problems) as JSON

  --host        introspect URL        env ${ENV.agentIntrospect}   default http://127.0.0.1:8085
  -o json       print the introspect JSON
  --max-width   column width of tables (default 50)`;

export type Fetch = (path: string) => Promise<unknown>;

export class RemoteError extends Error {}

export function agentFetcher(base: string): Fetch {
  return async (path) => {
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/$/, '')}${path}`);
    } catch (err) {
      throw new RemoteError(`cannot reach the agent introspect at ${base}: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`);
    }
    const body = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
    if (!res.ok) throw new RemoteError(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status} from ${base}${path}`);
    return body;
  };
}

const query = (params: Record<string, string | undefined>): string => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
};

/** Runs one vr command; returns the text to print. Exported for tests. */
export async function vrOutput(args: string[], get: Fetch): Promise<string> {
  const { values, positionals, help } = parseCommandArgs(args, {
    host: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'max-width': { type: 'string' },
    uuid: { type: 'string', short: 'u' },
    ipv4: { type: 'string', short: 'i' },
    vn: { type: 'string' },
    vrf: { type: 'string', short: 'v' },
  });
  if (help) return usage;
  const json = values.output === 'json';
  if (values.output !== undefined && !json) throw new UsageError(`-o must be json, got ${JSON.stringify(values.output)}`);
  const maxWidth = intOption('max-width', values['max-width'], 50);
  if (maxWidth < 10) throw new UsageError('--max-width must be at least 10');
  const [cmd, arg, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const out = (body: unknown, text: () => string): string => (json ? JSON.stringify(body, null, 2) : text());
  switch (cmd) {
    case 'intf': {
      const b = (await get(`/Snh_ItfReq${query({ name: arg, uuid: values.uuid, ipv4_address: values.ipv4, vn: values.vn })}`)) as { interfaces: InterfaceView[] };
      return out(b, () => formatInterfaces(b.interfaces, { maxWidth }));
    }
    case 'vrf': {
      const b = (await get(`/Snh_VrfListReq${query({ name: arg })}`)) as { vrfs: VrfView[] };
      return out(b, () => formatVrfs(b.vrfs, { maxWidth }));
    }
    case 'route': {
      let ip: string | undefined;
      let plen: string | undefined;
      if (arg !== undefined) [ip, plen] = arg.split('/');
      const v = values.vrf;
      const byIndex = v !== undefined && /^\d+$/.test(v);
      const b = (await get(`/Snh_Inet4UcRouteReq${query({ vrf_index: byIndex ? v : undefined, vrf: byIndex ? undefined : v, src_ip: ip, prefix_len: plen })}`)) as { routes: RouteEntry[] };
      if (json) return JSON.stringify(b, null, 2);
      const itfs = (await get('/Snh_ItfReq')) as { interfaces: InterfaceView[] };
      const withPolicy = new Set(itfs.interfaces.filter((i) => i.policy).map((i) => i.name));
      return b.routes.length === 0 ? 'no routes' : formatRoutes(b.routes, (itf) => withPolicy.has(itf));
    }
    case 'xmpp': {
      const b = (await get('/Snh_AgentXmppConnectionStatusReq')) as { peers: PeerRow[]; headless: boolean };
      return out(b, () => `${formatPeers(b.peers, { maxWidth })}${b.headless ? '\nheadless: forwarding on the last routes received' : ''}`);
    }
    case 'status':
      return JSON.stringify(await get('/Snh_AgentStatus'), null, 2);
    default:
      throw new UsageError(cmd === undefined ? 'missing command' : `unknown command ${JSON.stringify(cmd)}`);
  }
}

const command: CommandModule = {
  summary: 'vRouter agent introspect: intf, vrf, route',
  usage,
  async run(args) {
    const i = args.indexOf('--host');
    const host = i >= 0 ? args[i + 1] : undefined;
    if (i >= 0 && (host === undefined || host.startsWith('-'))) throw new UsageError('--host needs a URL');
    try {
      console.log(await vrOutput(args, agentFetcher(host ?? defaultAgentIntrospectUrl())));
      return 0;
    } catch (err) {
      if (err instanceof RemoteError) {
        console.error(`tfctl vr: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};

export default command;
