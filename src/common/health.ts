// The status every daemon reports on /healthz, modelled on the original's NodeStatus as shown by
// contrail-status: a process state plus the state of each connection it depends on.

export type ProcessState = 'up' | 'initializing' | 'down' | 'backup';

export interface ConnectionStatus {
  /** e.g. 'Database', 'BGP', 'ApiServer', 'Collector', 'KubernetesApi' */
  type: string;
  name: string;
  server_addrs: string[];
  status: 'Up' | 'Down' | 'Initializing';
  description?: string;
}

export interface HealthReport {
  component: string;
  status: ProcessState;
  description?: string;
  connections: ConnectionStatus[];
}

/** Derives a process state from its connections: up only when every connection is Up. */
export function summarize(component: string, connections: ConnectionStatus[], initializing = false): HealthReport {
  const down = connections.filter((c) => c.status !== 'Up');
  if (initializing) return { component, status: 'initializing', description: 'starting', connections };
  if (down.length === 0) return { component, status: 'up', connections };
  return {
    component,
    status: 'initializing',
    description: down.map((c) => `${c.type}:${c.name}[${c.description ?? c.status}] connection down`).join(', '),
    connections,
  };
}
