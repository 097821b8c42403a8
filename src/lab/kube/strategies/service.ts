// Services: defaults, validation, ClusterIP allocation from the service range (or the requested
// address), NodePort allocation for NodePort and LoadBalancer services, and release on delete. An
// update that leaves clusterIP or a nodePort out keeps the allocated value (as the API server does).
import { AllocationError } from '../allocator.js';
import { invalid } from '../errors.js';
import type { Strategy, StrategyContext } from '../strategy.js';
import { isObject, type KubeObject } from '../types.js';
import type { Causes} from '../validation.js';
import { checkLabels, checkPort, checkProtocol, isIanaSvcName } from '../validation.js';

type Obj = Record<string, unknown>;

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const AFFINITIES = ['None', 'ClientIP'];

const specOf = (o: KubeObject): Obj => (isObject(o.spec) ? o.spec : (o.spec = {}));
const portsOf = (spec: Obj): Obj[] => (Array.isArray(spec.ports) ? spec.ports.filter(isObject) : []);
const needsNodePorts = (spec: Obj): boolean => spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
const hasClusterIp = (spec: Obj): boolean => spec.type !== 'ExternalName' && spec.clusterIP !== 'None';

function allocFail(obj: KubeObject, field: string, value: unknown, err: unknown): never {
  if (err instanceof AllocationError) throw invalid('', 'Service', obj.metadata.name ?? '', [{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${err.message}` }]);
  throw err;
}

function allocateClusterIp(obj: KubeObject, spec: Obj, ctx: StrategyContext): void {
  if (!hasClusterIp(spec)) {
    if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else spec.clusterIPs = ['None'];
    return;
  }
  const want = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined;
  let ip: string;
  try {
    if (want) {
      ctx.clusterIps.reserve(want);
      ip = want;
    } else ip = ctx.clusterIps.allocate();
  } catch (err) {
    allocFail(obj, 'spec.clusterIPs', [want], err);
  }
  ctx.rollback.push(() => ctx.clusterIps.unallocate(ip));
  spec.clusterIP = ip;
  spec.clusterIPs = [ip];
}

function allocateNodePorts(obj: KubeObject, spec: Obj, ctx: StrategyContext, keep: Map<string, number>): void {
  portsOf(spec).forEach((p, i) => {
    const key = `${typeof p.protocol === 'string' ? p.protocol : 'TCP'}/${JSON.stringify(p.port)}`;
    if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
      if (keep.get(key) === p.nodePort) {
        keep.delete(key);
        return;
      }
      try {
        ctx.nodePorts.reserve(p.nodePort);
      } catch (err) {
        allocFail(obj, `spec.ports[${i}].nodePort`, p.nodePort, err);
      }
      const n = p.nodePort;
      ctx.rollback.push(() => ctx.nodePorts.release(n));
      return;
    }
    const kept = keep.get(key);
    if (kept !== undefined) {
      p.nodePort = kept;
      keep.delete(key);
      return;
    }
    let n: number;
    try {
      n = ctx.nodePorts.allocate();
    } catch (err) {
      allocFail(obj, `spec.ports[${i}].nodePort`, 0, err);
    }
    ctx.rollback.push(() => ctx.nodePorts.unallocate(n));
    p.nodePort = n;
  });
}

export const serviceStrategy: Strategy = {
  nameKind: 'label',
  defaults(obj) {
    const spec = specOf(obj);
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    for (const p of portsOf(spec)) {
      p.protocol ??= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if (spec.type !== 'ExternalName') {
      spec.internalTrafficPolicy ??= 'Cluster';
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
    if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  },
  prepareCreate(obj, ctx) {
    const spec = specOf(obj);
    obj.status = { loadBalancer: {} };
    allocateClusterIp(obj, spec, ctx);
    if (needsNodePorts(spec)) allocateNodePorts(obj, spec, ctx, new Map());
    else for (const p of portsOf(spec)) delete p.nodePort;
  },
  prepareUpdate(obj, old, ctx) {
    const spec = specOf(obj);
    const oldSpec = specOf(old);
    if (hasClusterIp(oldSpec) && hasClusterIp(spec) && (spec.clusterIP === undefined || spec.clusterIP === '')) {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = oldSpec.clusterIPs;
    } else if (hasClusterIp(spec) && !hasClusterIp(oldSpec)) allocateClusterIp(obj, spec, ctx);
    else if (!hasClusterIp(spec) && hasClusterIp(oldSpec) && typeof oldSpec.clusterIP === 'string') {
      const ip = oldSpec.clusterIP;
      allocateClusterIp(obj, spec, ctx);
      ctx.onCommit.push(() => ctx.clusterIps.release(ip));
    }
    const oldPorts = new Map<string, number>();
    if (needsNodePorts(oldSpec)) for (const p of portsOf(oldSpec)) if (typeof p.nodePort === 'number') oldPorts.set(`${typeof p.protocol === 'string' ? p.protocol : 'TCP'}/${JSON.stringify(p.port)}`, p.nodePort);
    if (needsNodePorts(spec)) allocateNodePorts(obj, spec, ctx, oldPorts);
    else for (const p of portsOf(spec)) delete p.nodePort;
    for (const n of oldPorts.values()) ctx.onCommit.push(() => ctx.nodePorts.release(n));
  },
  validate(obj, c: Causes, old) {
    const spec = specOf(obj);
    if (!TYPES.includes(spec.type as string)) c.notSupported('spec.type', spec.type, TYPES);
    if (!AFFINITIES.includes(spec.sessionAffinity as string)) c.notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES);
    const ports = spec.ports;
    if (spec.type === 'ExternalName') {
      if (typeof spec.externalName !== 'string' || spec.externalName === '') c.required('spec.externalName');
    } else if ((!Array.isArray(ports) || ports.length === 0) && spec.clusterIP !== 'None') c.required('spec.ports');
    const names = new Set<string>();
    const list = Array.isArray(ports) ? ports : [];
    list.forEach((p, i) => {
      const f = `spec.ports[${i}]`;
      if (!isObject(p)) return c.invalid(f, p, 'must be an object');
      if (list.length > 1 && (typeof p.name !== 'string' || p.name === '')) c.required(`${f}.name`);
      if (typeof p.name === 'string' && p.name !== '') {
        if (!isIanaSvcName(p.name) && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.name)) c.invalid(`${f}.name`, p.name, 'must be a DNS label');
        if (names.has(p.name)) c.duplicate(`${f}.name`, p.name);
        names.add(p.name);
      }
      checkPort(c, `${f}.port`, p.port);
      checkProtocol(c, `${f}.protocol`, p.protocol);
      const tp = p.targetPort;
      if (typeof tp === 'number') checkPort(c, `${f}.targetPort`, tp);
      else if (typeof tp !== 'string' || !isIanaSvcName(tp)) c.invalid(`${f}.targetPort`, tp, 'must be a port number or an IANA service name');
    });
    if (spec.selector !== undefined && spec.selector !== null) checkLabels(c, 'spec.selector', spec.selector);
    if (spec.externalIPs !== undefined && spec.externalIPs !== null && (!Array.isArray(spec.externalIPs) || spec.externalIPs.some((x) => typeof x !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(x)))) {
      c.invalid('spec.externalIPs', spec.externalIPs, 'must be a list of IPv4 addresses');
    }
    if (old) {
      const o = specOf(old);
      if (hasClusterIp(o) && hasClusterIp(spec) && spec.clusterIP !== o.clusterIP) c.immutable('spec.clusterIPs[0]', spec.clusterIP);
    }
  },
  afterDelete(obj, ctx) {
    const spec = specOf(obj);
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None') ctx.clusterIps.release(spec.clusterIP);
    if (needsNodePorts(spec)) for (const p of portsOf(spec)) if (typeof p.nodePort === 'number') ctx.nodePorts.release(p.nodePort);
  },
};
