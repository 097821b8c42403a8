// Glue between the Kubernetes caches and the pure policy model: views of pods and namespaces,
// compiled policies (memoised per policy object), and the security groups of one pod.
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import type { Ctx } from '../context.js';
import { InputError } from '../errors.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { podGroups, type PodView, type World } from './model.js';

const compiled = new WeakMap<V1NetworkPolicy, CompiledPolicy | InputError>();

/** The compiled policy, or the InputError that makes it unusable. */
export function compiledOf(np: V1NetworkPolicy): CompiledPolicy | InputError {
  let c = compiled.get(np);
  if (!c) {
    try {
      c = compilePolicy(np);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      c = err;
    }
    compiled.set(np, c);
  }
  return c;
}

export function validPolicies(ctx: Pick<Ctx, 'k8s'>): CompiledPolicy[] {
  const out: CompiledPolicy[] = [];
  for (const np of ctx.k8s.policies.list()) {
    const c = compiledOf(np);
    if (!(c instanceof InputError)) out.push(c);
  }
  return out;
}

export function podView(pod: V1Pod): PodView {
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels ?? {},
    ports: (pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol }))),
  };
}

export const namespaceLabels = (ns: V1Namespace): Record<string, string> => ({ ...(ns.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata?.name ?? '' });

export function world(ctx: Pick<Ctx, 'k8s' | 'names'>, withPods: boolean): World {
  const namespaces = new Map<string, Record<string, string>>();
  for (const ns of ctx.k8s.namespaces.list()) namespaces.set(ns.metadata?.name ?? '', namespaceLabels(ns));
  return { names: ctx.names, namespaces, pods: withPods ? ctx.k8s.pods.list().map(podView) : [] };
}

/** The security groups of the pod's interface (namespace groups when no policy concerns it). */
export function podPolicySecurityGroups(ctx: Pick<Ctx, 'k8s' | 'names'>, pod: V1Pod): string[][] | undefined {
  const policies = validPolicies(ctx);
  if (policies.length === 0) return undefined;
  return podGroups(podView(pod), policies, world(ctx, false));
}
