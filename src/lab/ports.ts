// Host loopback ports of a lab. Inside a namespace every component keeps its default port (a control
// node's introspect is 127.0.0.1:8083 in tfl-ctl1 and in tfl-ctl2); the relays expose each one on a
// distinct host port. Default plan (what `npm start` uses, so that `tfctl ctr` and `tfctl vr` without
// --host reach the first control node and the first agent):
//   config API 8082, its introspect 8084, Kubernetes API 6443, kube-manager 8108, lab status 8090,
//   control node k introspect 8083 + 10(k-1)   (8083, 8093, …)
//   agent k introspect        8085 + 10(k-1)   (8085, 8095, …)
//   agent k port API          9091 + 10(k-1)   (9091, 9101, …)
// `auto` picks free ports instead (tests and the benchmark run several labs side by side).
import { createServer } from 'node:net';
import { PORTS } from '../common/defaults.js';

export interface LabPorts {
  readonly configApi: number;
  readonly configIntrospect: number;
  readonly kubeApi: number;
  readonly kubeManager: number;
  readonly lab: number;
  readonly controlIntrospect: readonly number[];
  readonly agentIntrospect: readonly number[];
  readonly agentPortApi: readonly number[];
}

/** The fixed plan for `controls` control nodes and `nodes` compute nodes. Pure. */
export function defaultPorts(controls: number, nodes: number): LabPorts {
  return {
    configApi: PORTS.configApi,
    configIntrospect: PORTS.configIntrospect,
    kubeApi: PORTS.kubeApi,
    kubeManager: PORTS.kubeManagerIntrospect,
    lab: PORTS.labIntrospect,
    controlIntrospect: Array.from({ length: controls }, (_, i) => PORTS.controlIntrospect + 10 * i),
    agentIntrospect: Array.from({ length: nodes }, (_, i) => PORTS.agentIntrospect + 10 * i),
    agentPortApi: Array.from({ length: nodes }, (_, i) => PORTS.agentPortApi + 10 * i),
  };
}

/** Every port of a plan, for the in-use check. Pure. */
export function allPorts(p: LabPorts): number[] {
  return [p.configApi, p.configIntrospect, p.kubeApi, p.kubeManager, p.lab, ...p.controlIntrospect, ...p.agentIntrospect, ...p.agentPortApi];
}

/** A port the kernel hands out on 127.0.0.1 right now (free until someone else takes it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Is 127.0.0.1:<port> free to listen on? */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A plan of free ports (all distinct). */
export async function autoPorts(controls: number, nodes: number): Promise<LabPorts> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  const many = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await next());
    return out;
  };
  return {
    configApi: await next(),
    configIntrospect: await next(),
    kubeApi: await next(),
    kubeManager: await next(),
    lab: await next(),
    controlIntrospect: await many(controls),
    agentIntrospect: await many(nodes),
    agentPortApi: await many(nodes),
  };
}
