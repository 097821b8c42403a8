// The ADD result in the version the netconf asks for: 1.0.0, 0.4.0/0.3.x (ips carry "version") or
// 0.2.0/0.1.0 (ip4). One container interface (CNI_IFNAME in the pod's namespace) with its MAC, the
// address with the subnet's prefix length, the gateway, a default route through it and the DNS server.
// Pure.
import { compareVersions, type CniVersion } from './versions.js';

export interface PodInterfaceResult {
  ifname: string;
  mac: string;
  /** CNI_NETNS */
  sandbox: string;
  ip: string;
  plen: number;
  gateway: string;
  dns?: string;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export function buildResult(version: CniVersion, r: PodInterfaceResult): Record<string, unknown> {
  const address = `${r.ip}/${r.plen}`;
  const routes: CniRoute[] = [{ dst: '0.0.0.0/0', gw: r.gateway }];
  const dns = r.dns ? { nameservers: [r.dns] } : {};
  if (compareVersions(version, '0.3.0') < 0) {
    return { cniVersion: version, ip4: { ip: address, gateway: r.gateway, routes }, dns };
  }
  const withVersion = compareVersions(version, '1.0.0') < 0;
  return {
    cniVersion: version,
    interfaces: [{ name: r.ifname, mac: r.mac, sandbox: r.sandbox }],
    ips: [{ ...(withVersion ? { version: '4' } : {}), address, gateway: r.gateway, interface: 0 }],
    routes,
    dns,
  };
}
