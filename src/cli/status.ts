// tfctl status: every component and its state, like contrail-status (seed 001): a table of services
// (Pod, Service, Instance, Original Name, State, Status), then per group `== Contrail <group> ==` and
// `<service>: active | initializing (<reason>) | backup | timeout | inactive`. The components come from
// the lab's endpoints.json when a lab runs from here (or --lab-dir / $TF_LAB_DIR), else from the
// default ports on loopback (only those that answer are listed). Each one's state is its /healthz
// HealthReport; "State"/"Status" of the process come from its PID when known.
import { PORTS } from '../common/defaults.js';
import { labDir, readEndpoints, type LabEndpoints, type ServiceEndpoint } from '../common/endpoints.js';
import { errorMessage } from '../common/errors.js';
import type { HealthReport } from '../common/health.js';
import { humanDuration, isAlive, processAge } from '../common/proc-info.js';
import { intOption, parseCommandArgs, UsageError, type CommandModule } from './command.js';

const usage = `usage: tfctl status [-o json] [--lab-dir DIR] [--timeout-ms 2000]

Shows every component and its state, like contrail-status. Components come from a lab's
endpoints.json (<lab dir>/endpoints.json; the lab dir is --lab-dir, else $TF_LAB_DIR, else ./tf-lab),
else from the default ports on 127.0.0.1 (config ${PORTS.configIntrospect}, schema ${PORTS.transformerIntrospect}, control ${PORTS.controlIntrospect},
agent ${PORTS.agentIntrospect}, kube-manager ${PORTS.kubeManagerIntrospect}, Kubernetes API ${PORTS.kubeApi}); then only those that answer are listed.

  -o json        print the states as JSON
  --lab-dir      where endpoints.json is
  --timeout-ms   per-component health timeout (default 2000)

Exit code: 0 when every component is active, 1 otherwise, 2 on a usage error.`;

export type ServiceState = 'active' | 'initializing' | 'backup' | 'timeout' | 'inactive';

export interface ServiceStatus {
  readonly group: string;
  readonly service: string;
  readonly instance: string;
  readonly original: string;
  /** process state: running | exited | unknown (no PID known) */
  readonly process: 'running' | 'exited' | 'unknown';
  readonly pid?: number;
  readonly uptimeSeconds?: number;
  readonly netns?: string;
  readonly state: ServiceState;
  readonly description?: string;
  /** the HealthReport's connections, when it answered */
  readonly connections?: HealthReport['connections'];
}

export type HealthFetch = (url: string, timeoutMs: number) => Promise<{ status: number; body: unknown }>;

export const httpHealth: HealthFetch = async (url, timeoutMs) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    // plain text ("ok" from a Kubernetes API server)
  }
  return { status: res.status, body };
};

const isReport = (b: unknown): b is HealthReport => typeof b === 'object' && b !== null && typeof (b as HealthReport).status === 'string';

/** Maps one health answer to the contrail-status state. Pure. */
export function stateOf(answer: { status: number; body: unknown } | undefined): { state: ServiceState; description?: string; connections?: HealthReport['connections'] } {
  if (!answer) return { state: 'timeout' };
  const b = answer.body;
  if (isReport(b)) {
    const conns = Array.isArray(b.connections) ? b.connections : undefined;
    if (b.status === 'up') return { state: 'active', connections: conns };
    if (b.status === 'backup') return { state: 'backup', connections: conns };
    return { state: 'initializing', description: b.description ?? b.status, connections: conns };
  }
  if (answer.status >= 200 && answer.status < 300) return { state: 'active' };
  return { state: 'initializing', description: `HTTP ${answer.status}${typeof b === 'string' && b ? `: ${b.slice(0, 80)}` : ''}` };
}

/** The components to probe when no lab is here: the default ports. Pure. */
export function defaultServices(): ServiceEndpoint[] {
  const h = (port: number, path = '/healthz'): string => `http://127.0.0.1:${port}${path}`;
  return [
    { group: 'config', service: 'api', instance: 'api', original: 'contrail-controller-config-api', health: h(PORTS.configIntrospect) },
    { group: 'config', service: 'schema', instance: 'schema', original: 'contrail-controller-config-schema', health: h(PORTS.transformerIntrospect) },
    { group: 'control', service: 'control', instance: 'control', original: 'contrail-controller-control-control', health: h(PORTS.controlIntrospect) },
    { group: 'vrouter', service: 'agent', instance: 'agent', original: 'contrail-vrouter-agent', health: h(PORTS.agentIntrospect) },
    { group: 'kubernetes', service: 'kube-manager', instance: 'kube-manager', original: 'contrail-kubernetes-kube-manager', health: h(PORTS.kubeManagerIntrospect) },
    { group: 'kubernetes', service: 'kube-apiserver', instance: 'kube-apiserver', original: 'kube-apiserver', health: h(PORTS.kubeApi) },
  ];
}

/** Probes every service (in parallel). */
export async function collectStatus(services: readonly ServiceEndpoint[], opts: { timeoutMs?: number; fetch?: HealthFetch } = {}): Promise<ServiceStatus[]> {
  const get = opts.fetch ?? httpHealth;
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return Promise.all(services.map(async (s): Promise<ServiceStatus> => {
    const alive = s.pid === undefined ? undefined : isAlive(s.pid);
    const base = {
      group: s.group, service: s.service, instance: s.instance, original: s.original,
      process: alive === undefined ? ('unknown' as const) : alive ? ('running' as const) : ('exited' as const),
      ...(s.pid !== undefined ? { pid: s.pid } : {}),
      ...(s.netns !== undefined ? { netns: s.netns } : {}),
      ...(alive && s.pid !== undefined ? { uptimeSeconds: processAge(s.pid) } : {}),
    };
    if (alive === false) return { ...base, state: 'inactive', description: `process ${s.pid} is not running` };
    if (!s.health) return { ...base, state: alive ? 'active' : 'timeout' };
    let answer: { status: number; body: unknown } | undefined;
    let err: string | undefined;
    try {
      answer = await get(s.health, timeoutMs);
    } catch (e) {
      err = errorMessage((e as { cause?: unknown }).cause ?? e);
    }
    const st = stateOf(answer);
    return { ...base, ...st, ...(err && st.state === 'timeout' ? { description: err } : {}) };
  }));
}

const GROUP_ORDER = ['config', 'control', 'vrouter', 'kubernetes', 'gateway', 'lab'];

function label(s: ServiceStatus, all: readonly ServiceStatus[]): string {
  const several = all.filter((o) => o.group === s.group && o.service === s.service).length > 1;
  return several || (s.instance !== s.service && s.instance !== '') ? `${s.service} (${s.instance})` : s.service;
}

function stateText(s: ServiceStatus): string {
  if (s.state === 'initializing' || ((s.state === 'timeout' || s.state === 'inactive') && s.description)) return `${s.state} (${s.description ?? ''})`;
  return s.state;
}

/** contrail-status's layout. Pure. */
export function formatStatus(list: readonly ServiceStatus[]): string {
  const sorted = [...list].sort((a, b) => (GROUP_ORDER.indexOf(a.group) + 1 || 99) - (GROUP_ORDER.indexOf(b.group) + 1 || 99));
  const rows = [['Pod', 'Service', 'Instance', 'Original Name', 'State', 'Status']];
  for (const s of sorted) {
    const up = s.process === 'running' ? `Up ${humanDuration(s.uptimeSeconds ?? 0)}` : s.process === 'exited' ? 'Exited' : s.state === 'active' ? 'Up' : '-';
    rows.push([s.group, s.service, s.instance, s.original, s.process === 'unknown' ? (s.state === 'timeout' ? 'unreachable' : 'running') : s.process, up]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
  const groups = [...new Set(sorted.map((s) => s.group))];
  for (const g of groups) {
    lines.push('', `== Contrail ${g} ==`);
    for (const s of sorted.filter((x) => x.group === g)) lines.push(`${label(s, sorted)}: ${stateText(s)}`);
  }
  return lines.join('\n');
}

export interface StatusResult {
  readonly source: 'lab' | 'defaults';
  readonly labDir?: string;
  readonly services: readonly ServiceStatus[];
  readonly active: number;
  readonly total: number;
}

/** Collects the status of a lab (endpoints given) or of the default ports. */
export async function statusOf(eps: LabEndpoints | undefined, opts: { timeoutMs?: number; fetch?: HealthFetch } = {}): Promise<StatusResult> {
  if (eps) {
    const services = await collectStatus(eps.services, opts);
    return { source: 'lab', labDir: eps.dir, services, active: services.filter((s) => s.state === 'active').length, total: services.length };
  }
  const services = (await collectStatus(defaultServices(), opts)).filter((s) => s.state !== 'timeout');
  return { source: 'defaults', services, active: services.filter((s) => s.state === 'active').length, total: services.length };
}

const command: CommandModule = {
  summary: 'state of every component, like contrail-status',
  usage,
  async run(args) {
    const { values, help } = parseCommandArgs(args, { output: { type: 'string', short: 'o' }, 'lab-dir': { type: 'string' }, 'timeout-ms': { type: 'string' } }, false);
    if (help) {
      console.log(usage);
      return 0;
    }
    if (values.output !== undefined && values.output !== 'json') throw new UsageError(`-o must be json, got ${JSON.stringify(values.output)}`);
    const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 2_000);
    const eps = readEndpoints(values['lab-dir'] ?? labDir());
    const r = await statusOf(eps, { timeoutMs });
    if (values.output === 'json') {
      console.log(JSON.stringify(r, null, 2));
    } else if (r.total === 0) {
      console.log(`no lab here (${values['lab-dir'] ?? labDir()}/endpoints.json) and no component answers on the default ports`);
    } else {
      console.log(formatStatus(r.services));
    }
    return r.total > 0 && r.active === r.total ? 0 : 1;
  },
};

export default command;
