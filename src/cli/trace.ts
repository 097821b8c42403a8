// tfctl trace: "can A reach B on tcp/80, and which rule decides?" from the agents' state models
// (ARCHITECTURE.md decision 7), without sending a packet. The agent hosting A answers the source side
// (service DNAT, route lookup, A's egress policy); when the route leads to another node, the agent
// there answers the destination side (B's ingress policy) for each possible destination (each service
// member). Agents: every --host given, else every agent of a lab running from this directory, else the
// default agent introspect.
import { readEndpoints } from '../common/endpoints.js';
import { defaultAgentIntrospectUrl, ENV } from '../common/defaults.js';
import { isIpv4 } from '../common/ip.js';
import { branchKey, formatTrace, reportVerdict, type TraceReport } from '../agent/cli-format.js';
import type { TraceQuery, TraceResult } from '../agent/trace.js';
import { parseCommandArgs, UsageError, type CommandModule } from './command.js';
import { agentFetcher, RemoteError, type Fetch } from './vr.js';

const usage = `usage: tfctl trace [--host URL[,URL…]]… [-o json] <source ip> <destination ip> [tcp/<port> | udp/<port> | sctp/<port> | icmp]

Answers whether a new connection from the pod with the source address can reach the destination
(a pod or a service VIP) and which rule decides, from the agents' state models: service DNAT, the
route in the source's VRF, the source's egress security policy and the destination's ingress policy.
Default protocol: icmp. Exit code 0 when allowed, 3 when denied (for every service member), 4 when
only some members or nothing could be decided, 1 when no agent could be asked.

  --host   agent introspect URL(s)   env ${ENV.agentIntrospect}   default: the agents of the lab in ./tf-lab, else http://127.0.0.1:8085
  -o json  print the agents' answers as JSON`;

export function parseWhat(s: string | undefined): Pick<TraceQuery, 'protocol' | 'port'> {
  if (s === undefined || s === 'icmp') return { protocol: 'icmp' };
  const m = /^(tcp|udp|sctp)\/(\d{1,5})$/.exec(s.toLowerCase());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`expected tcp/<port>, udp/<port>, sctp/<port> or icmp, got ${JSON.stringify(s)}`);
  return { protocol: m[1] as TraceQuery['protocol'], port: Number(m[2]) };
}

function traceQuery(q: { src: string; dst: string; protocol: string; port?: number }): string {
  const u = new URLSearchParams({ src: q.src, dst: q.dst, protocol: q.protocol });
  if (q.port !== undefined) u.set('port', String(q.port));
  return `/Snh_TraceReq?${u.toString()}`;
}

/** Asks every agent, then the destination node of each branch that continues elsewhere. Exported for tests. */
export async function runTrace(q: TraceQuery, agents: readonly { url: string; get: Fetch }[]): Promise<TraceReport> {
  const notes: string[] = [];
  const answers: { url: string; get: Fetch; r: TraceResult }[] = [];
  await Promise.all(agents.map(async (a) => {
    try {
      answers.push({ ...a, r: (await a.get(traceQuery(q))) as TraceResult });
    } catch (err) {
      notes.push(`${a.url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }));
  const source = answers.find((a) => a.r.srcLocal)?.r;
  const destinations = new Map<string, TraceResult>();
  if (source) {
    for (const b of source.branches) {
      if (b.verdict !== 'continues' || !b.nextNode) continue;
      const at = answers.find((a) => a.r.nodeIp === b.nextNode);
      if (!at) continue;
      try {
        const d = (await at.get(traceQuery({ src: q.src, dst: b.dst, protocol: q.protocol, ...(b.port !== undefined ? { port: b.port } : {}) }))) as TraceResult;
        if (d.dstLocal) destinations.set(branchKey(b), d);
        else notes.push(`node ${d.node} does not host ${b.dst}`);
      } catch (err) {
        notes.push(`${at.url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } else {
    for (const a of answers) if (a.r.dstLocal) destinations.set(`${a.r.node}`, a.r);
  }
  return { query: q, source, destinations, notes };
}

export function agentUrls(hosts: readonly string[]): string[] {
  if (hosts.length > 0) return hosts.flatMap((h) => h.split(',')).map((h) => h.trim()).filter((h) => h !== '');
  if (process.env[ENV.agentIntrospect]) return [defaultAgentIntrospectUrl()];
  const lab = readEndpoints()?.services.filter((s) => s.group === 'vrouter' && s.service === 'agent' && s.introspect).map((s) => s.introspect!);
  return lab && lab.length > 0 ? lab : [defaultAgentIntrospectUrl()];
}

const command: CommandModule = {
  summary: 'can A reach B? answered from the agent state model',
  usage,
  async run(args) {
    const { values, positionals, help } = parseCommandArgs(args, { host: { type: 'string', multiple: true }, output: { type: 'string', short: 'o' } });
    if (help) {
      console.log(usage);
      return 0;
    }
    if (values.output !== undefined && values.output !== 'json') throw new UsageError(`-o must be json, got ${JSON.stringify(values.output)}`);
    const [src, dst, what, ...rest] = positionals;
    if (src === undefined || dst === undefined) throw new UsageError('source and destination addresses are required');
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    if (!isIpv4(src) || !isIpv4(dst)) throw new UsageError('source and destination must be IPv4 addresses');
    const q: TraceQuery = { src, dst, ...parseWhat(what) };
    const urls = agentUrls(values.host ?? []);
    const report = await runTrace(q, urls.map((url) => ({ url, get: agentFetcher(url) })));
    if (!report.source && report.destinations.size === 0) {
      console.error(`tfctl trace: no agent hosts ${src} or ${dst}${report.notes.length ? `\n${report.notes.join('\n')}` : ''}`);
      return 1;
    }
    if (values.output === 'json') console.log(JSON.stringify({ ...report, destinations: Object.fromEntries(report.destinations), verdict: reportVerdict(report) }, null, 2));
    else console.log(formatTrace(report));
    const v = reportVerdict(report);
    return v === 'allowed' ? 0 : v === 'denied' ? 3 : 4;
  },
};

export { RemoteError };
export default command;
