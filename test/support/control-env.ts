// A config API with the schema transformer in-process, plus helpers to write the config a control node
// follows (projects, networks with policies between them, virtual-routers, bgp-routers, global settings)
// and to wait for a condition. Each call to `loopbackBlock()` gives a fresh 127.x.y.0/24 block so test
// files running in parallel never share an address.
import type { VncClient } from '../../src/vnc/client.js';
import type { PolicyRuleType } from '../../src/vnc/schema.js';
import { MASTER_FQ_NAME } from '../../src/control/names.js';
import { startTestConfigApi, type TestConfigApi } from './config-api.js';

export async function startConfigWithTransformer(): Promise<TestConfigApi> {
  return startTestConfigApi({ transformer: true, bookmarkMs: 50 });
}

export function loopbackBlock(): (host: number) => string {
  const b = `127.${30 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}`;
  return (h) => `${b}.${h}`;
}

export async function eventually<T>(f: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const PORTS = [{ start_port: -1, end_port: -1 }];
export const passRule = (src: string, dst: string): PolicyRuleType => ({
  direction: '<>', protocol: 'any', action_list: { simple_action: 'pass' },
  src_addresses: [{ virtual_network: src }], dst_addresses: [{ virtual_network: dst }], src_ports: PORTS, dst_ports: PORTS,
});

export class ConfigWriter {
  constructor(readonly client: VncClient) {}

  async project(name: string): Promise<string[]> {
    const fq = ['default-domain', name];
    await this.client.create('project', { fq_name: fq, parent_type: 'domain' });
    return fq;
  }

  async network(project: readonly string[], name: string, extra: Record<string, unknown> = {}): Promise<{ uuid: string; fq: string[]; index: number }> {
    const fq = [...project, name];
    const vn = await this.client.create('virtual-network', { fq_name: fq, parent_type: 'project', ...extra });
    const full = await this.client.read('virtual-network', vn.uuid);
    return { uuid: vn.uuid, fq, index: full.virtual_network_network_id! };
  }

  /** A policy passing everything between a and b, attached to both networks. */
  async connect(project: readonly string[], name: string, a: { uuid: string; fq: string[] }, b: { uuid: string; fq: string[] }): Promise<string> {
    const np = await this.client.create('network-policy', {
      fq_name: [...project, name], parent_type: 'project',
      network_policy_entries: { policy_rule: [passRule(a.fq.join(':'), b.fq.join(':'))] },
    });
    for (const vn of [a, b]) await this.client.refUpdate('virtual-network', vn.uuid, 'network-policy', np.uuid, 'ADD', { sequence: { major: 0, minor: 0 } });
    return np.uuid;
  }

  async disconnect(policyUuid: string, ...vns: { uuid: string }[]): Promise<void> {
    for (const vn of vns) await this.client.refUpdate('virtual-network', vn.uuid, 'network-policy', policyUuid, 'DELETE');
    await this.client.delete('network-policy', policyUuid);
  }

  async virtualRouter(name: string, address: string): Promise<string> {
    const vr = await this.client.create('virtual-router', {
      fq_name: ['default-global-system-config', name], parent_type: 'global-system-config', virtual_router_ip_address: address,
    });
    return vr.uuid;
  }

  async bgpRouter(name: string, params: Record<string, unknown>, peers: readonly string[] = []): Promise<string> {
    const b = await this.client.create('bgp-router', {
      fq_name: [...MASTER_FQ_NAME, name], parent_type: 'routing-instance', bgp_router_parameters: params,
      ...(peers.length ? { bgp_router_refs: peers.map((p) => ({ to: [...MASTER_FQ_NAME, p], attr: { session: [] } })) } : {}),
    });
    return b.uuid;
  }

  async globalSettings(patch: Record<string, unknown>): Promise<void> {
    const uuid = await this.client.fqNameToId('global-system-config', ['default-global-system-config']);
    await this.client.update('global-system-config', uuid, patch);
  }

  /** The import/export targets the transformer wrote on a network's default instance. */
  async targets(vn: { fq: string[] }): Promise<{ import: string[]; export: string[] }> {
    const ri = await this.client.readByFqName('routing-instance', [...vn.fq, vn.fq[vn.fq.length - 1]]);
    const imp: string[] = [];
    const exp: string[] = [];
    for (const r of ri.route_target_refs ?? []) {
      const t = r.to[r.to.length - 1];
      const ie = (r.attr as { import_export?: string | null } | null)?.import_export ?? '';
      if (ie !== 'export') imp.push(t);
      if (ie !== 'import') exp.push(t);
    }
    return { import: imp.sort(), export: exp.sort() };
  }
}
