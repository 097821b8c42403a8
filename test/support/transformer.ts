// A config API with a schema transformer for tests: temp SQLite file, port 0, feed bookmarks every
// 50 ms (so `settled()` sees the API's revision quickly), every reconcile report collected.
// derivedState() reads what the transformer derived straight from the API, in a canonical form
// (route targets named by their owner network), so two runs can be compared exactly.
import type { ConfigApiOptions } from '../../src/config/server.js';
import { startTransformer, type RunningTransformer, type ReconcileReport } from '../../src/transformer/index.js';
import { ownerOf } from '../../src/transformer/marks.js';
import { attrToIe } from '../../src/transformer/ri-refs.js';
import type { VncClient } from '../../src/vnc/client.js';
import type { RouteTarget } from '../../src/vnc/schema.js';
import { startTestConfigApi, type TestConfigApi } from './config-api.js';

export interface TransformerEnv {
  api: TestConfigApi;
  client: VncClient;
  t: RunningTransformer;
  reports: ReconcileReport[];
  /** writes of the collected reports, as "action type fq:name" */
  writes(): string[];
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTransformerEnv(apiOpts: ConfigApiOptions = {}, settleMs = 20): Promise<TransformerEnv> {
  const api = await startTestConfigApi({ bookmarkMs: 50, ...apiOpts });
  const reports: ReconcileReport[] = [];
  const start = () => startTransformer({ configApiUrl: api.url, settleMs, onReconcile: (r) => reports.push(r) });
  const env: TransformerEnv = {
    api,
    client: api.client,
    t: await start(),
    reports,
    writes: () => reports.flatMap((r) => r.writes.map((w) => `${w.action} ${w.type} ${w.fq_name.join(':')}`)),
    async restart() {
      await env.t.close();
      env.t = await start();
    },
    async close() {
      await env.t.close();
      await api.close();
    },
  };
  return env;
}

export interface DerivedState {
  /** per network: own targets, instance targets/connections, ACL */
  networks: Record<string, { own: string[]; targets: string[]; connections: string[]; acl: unknown }>;
  /** per security group: ACL name → entries */
  groups: Record<string, Record<string, unknown>>;
  /** derived route targets, canonical names */
  routeTargets: string[];
}

/** The derived objects, with route target names replaced by `RT(<owner network>)` where owned. */
export async function derivedState(client: VncClient): Promise<DerivedState> {
  const [vns, ris, rts, acls, sgs] = await Promise.all([
    client.list('virtual-network', { detail: true }),
    client.list('routing-instance', { detail: true }),
    client.list('route-target', { detail: true }),
    client.list('access-control-list', { detail: true }),
    client.list('security-group', { detail: true }),
  ]);
  const vnByUuid = new Map(vns.map((v) => [v.uuid, v]));
  const label = (rt: RouteTarget): string => {
    const owner = ownerOf(rt);
    return owner ? `RT(${vnByUuid.get(owner)?.fq_name.join(':') ?? `gone ${owner}`})` : rt.fq_name[0];
  };
  const rtByName = new Map(rts.map((r) => [r.fq_name[0], r]));
  const networks: DerivedState['networks'] = {};
  for (const vn of [...vns].sort((a, b) => a.fq_name.join(':').localeCompare(b.fq_name.join(':')))) {
    const name = vn.fq_name[vn.fq_name.length - 1];
    const ri = ris.find((r) => r.fq_name.join(':') === [...vn.fq_name, name].join(':'));
    const acl = acls.find((a) => a.fq_name.join(':') === [...vn.fq_name, name].join(':'));
    networks[vn.fq_name.join(':')] = {
      own: rts.filter((r) => ownerOf(r) === vn.uuid).map(label),
      targets: (ri?.route_target_refs ?? []).map((r) => `${label(rtByName.get(r.to[0])!)} ${attrToIe(r.attr)}`).sort(),
      connections: (ri?.routing_instance_refs ?? []).map((r) => r.to.join(':')).sort(),
      acl: acl?.access_control_list_entries ?? null,
    };
  }
  const groups: DerivedState['groups'] = {};
  for (const sg of sgs) {
    groups[sg.fq_name.join(':')] = Object.fromEntries(
      acls.filter((a) => a.parent_uuid === sg.uuid).map((a) => [a.fq_name[a.fq_name.length - 1], a.access_control_list_entries]),
    );
  }
  const routeTargets = rts.filter((r) => r.id_perms?.creator === 'tf-schema-transformer').map(label).sort();
  return { networks, groups, routeTargets };
}
