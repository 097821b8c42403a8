// tfctl ctr: the control node's introspect, like ist.py ctr (seed 001): status, nei, route summary,
// route tables, route show [-t table] [prefix], plus ri; -o json prints the introspect JSON for scripts.
import { defaultControlIntrospectUrl, ENV } from '../common/defaults.js';
import { errorMessage } from '../common/errors.js';
import {
  formatInstances, formatNeighbors, formatRouteSummary, formatRouteTables, formatRoutes, formatStatus,
} from '../control/cli-format.js';
import type { InstanceView, NeighborView, NodeStatusView, RouteTableView } from '../control/introspect.js';
import type { TableCounts } from '../control/path-view.js';
import { intOption, parseCommandArgs, UsageError, type CommandModule } from './command.js';

const usage = `usage: tfctl ctr [--host URL] [-o json] [--max-width N] <command>

commands:
  status                       process state and connections
  nei [search]                 BGP neighbours: agents, control nodes, gateways
  ri [search]                  routing instances: VN index, VXLAN id, import/export targets
  route summary [search]       per table: prefixes, paths, primary/secondary/infeasible
  route tables                 table names
  route show [prefix]          routes; a bare address is a longest match
      -t, --table T            only table T
      -v, --vrf I              only the tables of routing instance I
      -f, --family F           inet | l3vpn | rtarget | evpn | all
      -p, --protocol P         BGP | Local | StaticRoute | XMPP (= paths from agents) | all
      -s, --source S           paths from peer S (name or address)
      -c, --count N            most routes per table (default 1000)
      --longer | --shorter     routes inside / covering the prefix
      -d, --detail             primary table, origin VN, communities per path

  --host        introspect URL        env ${ENV.controlIntrospect}   default http://127.0.0.1:8083
  -o json       print the introspect JSON
  --max-width   column width of tables (default 50)`;

type Fetch = (path: string) => Promise<unknown>;

export class RemoteError extends Error {}

/** GETs introspect paths of a control node; failures are RemoteErrors with the node's error code. */
export function introspectFetcher(base: string): Fetch {
  return async (path) => {
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/$/, '')}${path}`);
    } catch (err) {
      throw new RemoteError(`cannot reach the control node introspect at ${base}: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`);
    }
    const body = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
    if (!res.ok) throw new RemoteError(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status} from ${base}${path}`);
    return body;
  };
}

/** Runs one ctr command against an introspect; returns the text to print. Exported for tests. */
export async function ctrOutput(args: string[], get: Fetch, now: () => number = Date.now): Promise<string> {
  const { values, positionals, help } = parseCommandArgs(args, {
    host: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'max-width': { type: 'string' },
    table: { type: 'string', short: 't' },
    vrf: { type: 'string', short: 'v' },
    family: { type: 'string', short: 'f' },
    protocol: { type: 'string', short: 'p' },
    source: { type: 'string', short: 's' },
    count: { type: 'string', short: 'c' },
    longer: { type: 'boolean' },
    shorter: { type: 'boolean' },
    detail: { type: 'boolean', short: 'd' },
  });
  if (help) return usage;
  const json = values.output === 'json';
  if (values.output !== undefined && !json) throw new UsageError(`-o must be json, got ${JSON.stringify(values.output)}`);
  const maxWidth = intOption('max-width', values['max-width'], 50);
  if (maxWidth < 10) throw new UsageError('--max-width must be at least 10');
  const fmt = { maxWidth };
  const [cmd, sub, ...rest] = positionals;
  const q = (params: Record<string, string | undefined>): string => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, v);
    const s = u.toString();
    return s ? `?${s}` : '';
  };
  const out = (body: unknown, text: () => string): string => (json ? JSON.stringify(body, null, 2) : text());
  switch (cmd) {
    case 'status': {
      const s = (await get('/Snh_SandeshUVECacheReq?tname=NodeStatus')) as NodeStatusView;
      return out(s, () => formatStatus(s, fmt));
    }
    case 'nei': {
      const b = (await get(`/Snh_BgpNeighborReq${q({ search_string: sub })}`)) as { neighbors: NeighborView[] };
      return out(b, () => formatNeighbors(b.neighbors, fmt));
    }
    case 'ri': {
      const b = (await get(`/Snh_ShowRoutingInstanceReq${q({ search_string: sub })}`)) as { instances: InstanceView[] };
      return out(b, () => formatInstances(b.instances, fmt));
    }
    case 'route': {
      if (sub === 'summary') {
        const b = (await get(`/Snh_ShowRouteSummaryReq${q({ search_string: rest[0] })}`)) as { tables: (TableCounts & { name: string })[] };
        return out(b, () => formatRouteSummary(b.tables, fmt));
      }
      if (sub === 'tables') {
        const b = (await get('/Snh_ShowRouteTablesReq')) as { tables: { name: string }[] };
        return out(b.tables.map((t) => t.name), () => formatRouteTables(b.tables));
      }
      if (sub === 'show') {
        if (rest.length > 1) throw new UsageError(`route show takes one prefix, got ${rest.join(' ')}`);
        if (values.longer && values.shorter) throw new UsageError('--longer and --shorter exclude each other');
        const path = `/Snh_ShowRouteReq${q({
          routing_table: values.table, routing_instance: values.vrf, prefix: rest[0], family: values.family, protocol: values.protocol,
          source: values.source, count: values.count, longer_match: values.longer ? 'true' : undefined, shorter_match: values.shorter ? 'true' : undefined,
        })}`;
        const b = (await get(path)) as { tables: RouteTableView[] };
        return out(b, () => formatRoutes(b.tables, { now: now(), detail: values.detail === true }));
      }
      throw new UsageError(`unknown route command ${JSON.stringify(sub ?? '')} (summary, tables, show)`);
    }
    default:
      throw new UsageError(cmd === undefined ? 'missing command' : `unknown command ${JSON.stringify(cmd)}`);
  }
}

const command: CommandModule = {
  summary: 'control node introspect: status, nei, route summary|tables|show',
  usage,
  async run(args) {
    const i = args.indexOf('--host');
    const host = i >= 0 ? args[i + 1] : undefined;
    if (i >= 0 && (host === undefined || host.startsWith('-'))) throw new UsageError('--host needs a URL');
    const base = host ?? defaultControlIntrospectUrl();
    try {
      console.log(await ctrOutput(args, introspectFetcher(base)));
      return 0;
    } catch (err) {
      if (err instanceof RemoteError) {
        console.error(`tfctl ctr: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};

export default command;
