// The original's port API (contrail-vrouter-agent port_ipc, port 9091), for CNI plugins written against
// the original (contrail-k8s-cni) and for scripts:
//   POST   /vm                 register a port: {vm-uuid, vmi-uuid, vn-uuid, vm-name, host-ifname, vm-ifname, vm-namespace, vm-id}
//   DELETE /vm/<vm-uuid>       unregister the VM's ports (their host interfaces are removed); unknown → 200
//   GET    /vm/<vm-uuid>[/<vmi-uuid>]  the registered ports as the original's result array; 404 when unknown
//   GET    /vm-cfg/<vm-name>   the VM's interfaces from config (before any port exists); 404 when unknown
// A result element: {id, vm-uuid, vn-id, vn-name, mac-address, ip-address, plen, gateway, dns-server,
// vlan-id, network-label, annotations: ["{key:value}", …]}. Errors: {error: {code, message}} with the
// original's status codes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readJson, sendError, sendJson, type RunningServer } from '../common/http.js';
import { BadRequestError, NotFoundError } from '../common/errors.js';
import { findVm, type InterfaceConfig, type NodeConfig } from './config-view.js';
import { PortNotFoundError } from './errors.js';
import { isUuid, portFromJson, type PortEntry } from './ports.js';
import type { Endpoint } from './options.js';
import type { Agent } from './agent.js';

export interface PortResult {
  id: string;
  'vm-uuid': string;
  'vn-id': string;
  'vn-name': string;
  'mac-address': string;
  'ip-address': string;
  plen: number;
  gateway: string;
  'dns-server': string;
  'vlan-id': number;
  'network-label': string;
  annotations: string[];
}

/** One interface in the original's result shape (pure). */
export function portResult(cfg: NodeConfig, f: InterfaceConfig): PortResult {
  const net = f.vnUuid ? cfg.networks.get(f.vnUuid) : undefined;
  const ann = { ...f.annotations, index: f.index };
  return {
    id: f.uuid,
    'vm-uuid': f.vmUuid,
    'vn-id': f.vnUuid ?? '',
    'vn-name': net?.fqName ?? '',
    'mac-address': f.mac ?? '',
    'ip-address': f.ip ?? '',
    plen: f.plen ?? 0,
    gateway: f.gateway ?? '',
    'dns-server': f.dns ?? '',
    'vlan-id': -1,
    'network-label': net ? net.fqName.split(':').pop()! : '',
    annotations: Object.entries(ann).map(([k, v]) => `{${k}:${v}}`),
  };
}

function registeredResult(cfg: NodeConfig | undefined, p: PortEntry): PortResult {
  const f = cfg?.interfaces.get(p.vmiUuid);
  if (cfg && f) return portResult(cfg, f);
  return {
    id: p.vmiUuid, 'vm-uuid': p.vmUuid, 'vn-id': p.vnUuid, 'vn-name': '', 'mac-address': '', 'ip-address': '', plen: 0, gateway: '', 'dns-server': '',
    'vlan-id': -1, 'network-label': '', annotations: [],
  };
}

async function route(agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter((x) => x !== '').map(decodeURIComponent);
  const cfg = agent.config;
  if (parts[0] === 'vm' && parts.length === 1 && req.method === 'POST') {
    const p = portFromJson(await readJson(req));
    agent.putPort(p);
    sendJson(res, 200, {});
    return;
  }
  if (parts[0] === 'vm' && parts.length === 2 && req.method === 'DELETE') {
    if (!isUuid(parts[1])) throw new BadRequestError(`Invalid VM uuid ${JSON.stringify(parts[1])}`);
    const removed = await agent.removePorts(agent.ports.byVm(parts[1]));
    sendJson(res, 200, { removed: removed.map((p) => p.vmiUuid) });
    return;
  }
  if (parts[0] === 'vm' && (parts.length === 2 || parts.length === 3) && req.method === 'GET') {
    const ports = agent.ports.byVm(parts[1]).filter((p) => parts.length === 2 || p.vmiUuid === parts[2]);
    if (ports.length === 0) throw new PortNotFoundError(`No port of VM ${parts[1]}${parts[2] ? ` with interface ${parts[2]}` : ''} is registered on this node`);
    sendJson(res, 200, ports.map((p) => registeredResult(cfg, p)));
    return;
  }
  if (parts[0] === 'vm-cfg' && parts.length === 2 && req.method === 'GET') {
    const vm = cfg ? findVm(cfg, parts[1]) : undefined;
    const list = vm && cfg ? vm.vmiUuids.map((u) => cfg.interfaces.get(u)).filter((f): f is InterfaceConfig => f !== undefined) : [];
    if (!vm || !cfg || list.length === 0) throw new PortNotFoundError(`No virtual-machine ${parts[1]} with interfaces is linked to virtual-router ${agent.node}`);
    sendJson(res, 200, list.map((f) => portResult(cfg, f)));
    return;
  }
  throw new NotFoundError(`No route ${req.method} ${url.pathname}`);
}

export async function startPortApi(agent: Agent, at: Endpoint): Promise<RunningServer> {
  const server = createServer((req, res) => {
    route(agent, req, res).catch((err: unknown) => sendError(res, err));
  });
  const addr = await listen(server, at.port, at.host);
  return { server, port: addr.port, close: () => closeServer(server) };
}
