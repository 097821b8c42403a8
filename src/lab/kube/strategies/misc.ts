// The smaller kinds: namespaces (finalizer `kubernetes`, phase), nodes, endpoints (create on update),
// events, network policies and ingresses (defaults and the validation kube-manager relies on).
import { parseCidr, cidrContainsCidr } from '../../../common/ip.js';
import type { Strategy } from '../strategy.js';
import { isObject, type KubeObject } from '../types.js';
import type { Causes} from '../validation.js';
import { checkPort, checkProtocol, checkLabels } from '../validation.js';

type Obj = Record<string, unknown>;
const specOf = (o: KubeObject): Obj => (isObject(o.spec) ? o.spec : (o.spec = {}));

export const namespaceStrategy: Strategy = {
  nameKind: 'label',
  defaults(obj) {
    const spec = specOf(obj);
    spec.finalizers ??= ['kubernetes'];
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
  },
  prepareCreate(obj) {
    obj.status = { phase: 'Active' };
  },
};

export const nodeStrategy: Strategy = {
  defaults(obj) {
    obj.metadata.labels = {
      'kubernetes.io/hostname': obj.metadata.name ?? '',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
      ...(obj.metadata.labels ?? {}),
    };
    specOf(obj);
  },
};

export const endpointsStrategy: Strategy = {
  allowCreateOnUpdate: true,
  validate(obj, c) {
    const subsets = obj.subsets;
    if (subsets === undefined || subsets === null) return;
    if (!Array.isArray(subsets)) return c.invalid('subsets', subsets, 'must be a list');
    subsets.forEach((s, i) => {
      if (!isObject(s)) return c.invalid(`subsets[${i}]`, s, 'must be an object');
      for (const key of ['addresses', 'notReadyAddresses'] as const) {
        const list = s[key];
        if (list === undefined || list === null) continue;
        if (!Array.isArray(list)) c.invalid(`subsets[${i}].${key}`, list, 'must be a list');
        else list.forEach((a, j) => {
          if (!isObject(a) || typeof a.ip !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(a.ip)) c.invalid(`subsets[${i}].${key}[${j}].ip`, isObject(a) ? a.ip : a, 'must be a valid IP address');
        });
      }
      if (Array.isArray(s.ports)) s.ports.forEach((p, j) => {
        if (!isObject(p)) return;
        checkPort(c, `subsets[${i}].ports[${j}].port`, p.port);
        checkProtocol(c, `subsets[${i}].ports[${j}].protocol`, p.protocol ?? 'TCP');
      });
    });
  },
  defaults(obj) {
    if (Array.isArray(obj.subsets)) for (const s of obj.subsets) if (isObject(s) && Array.isArray(s.ports)) for (const p of s.ports) if (isObject(p)) p.protocol ??= 'TCP';
  },
};

export const eventStrategy: Strategy = {
  validate(obj, c) {
    if (!isObject(obj.involvedObject)) c.required('involvedObject');
  },
  defaults(obj) {
    obj.type ??= 'Normal';
    obj.count ??= 1;
  },
};

function checkPeers(c: Causes, field: string, peers: unknown): void {
  if (peers === undefined || peers === null) return;
  if (!Array.isArray(peers)) return c.invalid(field, peers, 'must be a list');
  peers.forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(p)) return c.invalid(f, p, 'must be an object');
    if (p.ipBlock !== undefined) {
      const b = p.ipBlock;
      if (!isObject(b) || typeof b.cidr !== 'string') return c.required(`${f}.ipBlock.cidr`);
      let cidr;
      try {
        cidr = parseCidr(b.cidr, false);
      } catch {
        return c.invalid(`${f}.ipBlock.cidr`, b.cidr, 'must be a valid CIDR');
      }
      if (Array.isArray(b.except)) b.except.forEach((e, j) => {
        try {
          if (typeof e !== 'string' || !cidrContainsCidr(cidr, parseCidr(e, false)) || parseCidr(e, false).len <= cidr.len) c.invalid(`${f}.ipBlock.except[${j}]`, e, 'must be a strict subset of `cidr`');
        } catch {
          c.invalid(`${f}.ipBlock.except[${j}]`, e, 'must be a valid CIDR');
        }
      });
      if (p.podSelector !== undefined || p.namespaceSelector !== undefined) c.forbidden(f, 'may not specify more than 1 from type');
    }
  });
}

function checkPolicyPorts(c: Causes, field: string, ports: unknown): void {
  if (!Array.isArray(ports)) return;
  ports.forEach((p, i) => {
    if (!isObject(p)) return;
    if (p.protocol !== undefined) checkProtocol(c, `${field}[${i}].protocol`, p.protocol);
    if (typeof p.port === 'number') checkPort(c, `${field}[${i}].port`, p.port);
    if (p.endPort !== undefined) {
      checkPort(c, `${field}[${i}].endPort`, p.endPort);
      if (typeof p.port !== 'number' || (typeof p.endPort === 'number' && p.endPort < p.port)) c.invalid(`${field}[${i}].endPort`, p.endPort, 'must be greater than or equal to `port`');
    }
  });
}

export const networkPolicyStrategy: Strategy = {
  defaults(obj) {
    const spec = specOf(obj);
    spec.podSelector ??= {};
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    for (const dir of ['ingress', 'egress'] as const) {
      const rules = spec[dir];
      if (Array.isArray(rules)) for (const r of rules) if (isObject(r) && Array.isArray(r.ports)) for (const p of r.ports) if (isObject(p)) p.protocol ??= 'TCP';
    }
  },
  validate(obj, c) {
    const spec = specOf(obj);
    if (!isObject(spec.podSelector)) c.required('spec.podSelector');
    else checkLabels(c, 'spec.podSelector.matchLabels', spec.podSelector.matchLabels);
    const types = spec.policyTypes;
    if (Array.isArray(types)) types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') c.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']);
    });
    (Array.isArray(spec.ingress) ? spec.ingress : []).forEach((r, i) => {
      if (!isObject(r)) return;
      checkPeers(c, `spec.ingress[${i}].from`, r.from);
      checkPolicyPorts(c, `spec.ingress[${i}].ports`, r.ports);
    });
    (Array.isArray(spec.egress) ? spec.egress : []).forEach((r, i) => {
      if (!isObject(r)) return;
      checkPeers(c, `spec.egress[${i}].to`, r.to);
      checkPolicyPorts(c, `spec.egress[${i}].ports`, r.ports);
    });
  },
};

const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'];

export const ingressStrategy: Strategy = {
  prepareCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  validate(obj, c) {
    const spec = specOf(obj);
    const rules = Array.isArray(spec.rules) ? spec.rules : [];
    if (rules.length === 0 && !isObject(spec.defaultBackend)) c.required('spec.rules', 'either `defaultBackend` or `rules` must be specified');
    rules.forEach((r, i) => {
      if (!isObject(r) || !isObject(r.http)) return;
      const paths = Array.isArray(r.http.paths) ? r.http.paths : [];
      paths.forEach((p, j) => {
        if (!isObject(p)) return;
        const f = `spec.rules[${i}].http.paths[${j}]`;
        if (p.pathType === undefined) c.required(`${f}.pathType`, 'Required value: pathType must be specified');
        else if (!PATH_TYPES.includes(p.pathType as string)) c.notSupported(`${f}.pathType`, p.pathType, PATH_TYPES);
        if (!isObject(p.backend)) c.required(`${f}.backend`);
      });
    });
  },
};
