// A pod's status as the kubelet reports it, computed from what the kubelet knows of its sandbox and
// containers. Pure: (pod, runtime view, now) → status; condition transition times are carried over
// from the pod's previous status while a condition keeps its value.
import { isObject, type KubeObject } from '../kube/types.js';

type Obj = Record<string, unknown>;

export type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message?: string } }
  | { terminated: { exitCode: number; signal?: number; reason: string; startedAt: string; finishedAt: string; containerID?: string } };

export interface ContainerView {
  name: string;
  image: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  containerID?: string;
  started: boolean;
}

export interface PodView {
  sandboxReady: boolean;
  podIPs: string[];
  hostIP: string;
  startTime: string;
  containers: ContainerView[];
}

export function podPhaseOf(pod: KubeObject, view: PodView): string {
  if (!view.sandboxReady) return 'Pending';
  const spec = isObject(pod.spec) ? pod.spec : {};
  const policy = typeof spec.restartPolicy === 'string' ? spec.restartPolicy : 'Always';
  const cs = view.containers;
  const terminated = cs.filter((c) => 'terminated' in c.state);
  if (cs.length > 0 && terminated.length === cs.length && policy !== 'Always') {
    const failed = terminated.some((c) => 'terminated' in c.state && c.state.terminated.exitCode !== 0);
    if (policy === 'Never') return failed ? 'Failed' : 'Succeeded';
    if (!failed) return 'Succeeded';
  }
  if (cs.some((c) => 'running' in c.state || c.restartCount > 0 || 'terminated' in c.state)) return 'Running';
  return 'Pending';
}

function condition(prev: Obj[], type: string, status: boolean, now: string, reason?: string, message?: string): Obj {
  const s = status ? 'True' : 'False';
  const old = prev.find((c) => c.type === type);
  return {
    type,
    status: s,
    lastProbeTime: null,
    lastTransitionTime: old?.status === s && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

export function computePodStatus(pod: KubeObject, view: PodView, now: string): Obj {
  const prevStatus = isObject(pod.status) ? pod.status : {};
  const prev = Array.isArray(prevStatus.conditions) ? prevStatus.conditions.filter(isObject) : [];
  const phase = podPhaseOf(pod, view);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const unready = view.containers.filter((c) => !('running' in c.state)).map((c) => c.name);
  const ready = view.sandboxReady && !terminal && unready.length === 0 && view.containers.length > 0;
  const notReadyMsg = `containers with unready status: [${unready.join(' ')}]`;
  const scheduled = prev.find((c) => c.type === 'PodScheduled') ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now };
  const conditions = [
    condition(prev, 'PodReadyToStartContainers', view.sandboxReady, now),
    condition(prev, 'Initialized', true, now),
    condition(prev, 'Ready', ready, now, ready ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady', ready ? undefined : terminal ? undefined : notReadyMsg),
    condition(prev, 'ContainersReady', ready, now, ready ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady', ready ? undefined : terminal ? undefined : notReadyMsg),
    scheduled,
  ];
  return {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    ...(view.podIPs.length ? { podIP: view.podIPs[0], podIPs: view.podIPs.map((ip) => ({ ip })) } : { podIP: null, podIPs: null }),
    startTime: view.startTime,
    qosClass: typeof prevStatus.qosClass === 'string' ? prevStatus.qosClass : 'BestEffort',
    containerStatuses: view.containers.map((c) => ({
      name: c.name,
      state: c.state,
      lastState: c.lastState ?? {},
      ready: 'running' in c.state,
      restartCount: c.restartCount,
      image: c.image,
      imageID: '',
      ...(c.containerID ? { containerID: c.containerID } : {}),
      started: c.started,
    })),
  };
}
