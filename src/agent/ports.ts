// The ports plugged into this node (the original's port subscribe table): one entry per interface,
// added by a CNI ADD or by the port API's POST /vm, removed by DEL / DELETE /vm. Entries are persisted
// as JSON files (<state-dir>/ports/<vmi-uuid>.json, written to a temporary name and renamed), so a
// restarted agent knows every pod's namespace and keeps its interface plumbed instead of removing it.
// The JSON fields are the original's add message (vm-uuid, vmi-uuid, vn-uuid, vm-name, vm-id,
// host-ifname, vm-ifname, vm-namespace) plus the MTU the interface was plumbed with.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestError } from '../common/errors.js';

export interface PortEntry {
  vmiUuid: string;
  vmUuid: string;
  vnUuid: string;
  vmName: string;
  /** container id (CNI_CONTAINERID); DEL of another container id leaves the entry alone */
  containerId: string;
  /** host-side interface (tap…) */
  tap: string;
  /** interface name inside the pod */
  ifname: string;
  /** the pod's network namespace path */
  netns: string;
  /** MTU of both ends, when the agent plumbed the interface */
  mtu?: number;
  /** ISO time of the registration */
  time: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID_RE.test(s);
}

/** The host-side name of an interface: "tap" + the first 11 characters of the VMI uuid (the original's). */
export function tapName(vmiUuid: string): string {
  return `tap${vmiUuid.slice(0, 11)}`;
}

/** The original's JSON shape of a port (POST /vm body, persisted file). */
export function portToJson(p: PortEntry): Record<string, unknown> {
  return {
    time: p.time,
    'vm-id': p.containerId,
    'vm-uuid': p.vmUuid,
    'vm-name': p.vmName,
    'host-ifname': p.tap,
    'vm-ifname': p.ifname,
    'vm-namespace': p.netns,
    'vn-uuid': p.vnUuid,
    'vmi-uuid': p.vmiUuid,
    ...(p.mtu !== undefined ? { mtu: p.mtu } : {}),
  };
}

/** Parses a port in the original's shape; BadRequestError naming the field (the original: "Invalid or missing field for <x>"). */
export function portFromJson(v: unknown): PortEntry {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadRequestError('port must be a JSON object');
  const o = v as Record<string, unknown>;
  const str = (k: string, required = true): string => {
    const x = o[k];
    if (x === undefined || x === null || x === '') {
      if (required) throw new BadRequestError(`Invalid or missing field for <${k}>`, { field: k });
      return '';
    }
    if (typeof x !== 'string') throw new BadRequestError(`Invalid or missing field for <${k}>`, { field: k });
    return x;
  };
  const uuid = (k: string): string => {
    const x = str(k);
    if (!isUuid(x)) throw new BadRequestError(`Invalid or missing field for <${k}>: not a uuid`, { field: k });
    return x;
  };
  // Checked in the original's order: vm-uuid, host-ifname, vm-name, vn-uuid, vmi-uuid.
  const vmUuid = uuid('vm-uuid');
  const tap = str('host-ifname');
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(tap)) throw new BadRequestError('Invalid or missing field for <host-ifname>: not an interface name', { field: 'host-ifname' });
  const ifname = str('vm-ifname', false) || 'eth0';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) throw new BadRequestError('Invalid or missing field for <vm-ifname>: not an interface name', { field: 'vm-ifname' });
  const netns = str('vm-namespace', false);
  if (netns !== '' && !netns.startsWith('/')) throw new BadRequestError('Invalid or missing field for <vm-namespace>: not an absolute path', { field: 'vm-namespace' });
  const mtu = o.mtu;
  if (mtu !== undefined && (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) {
    throw new BadRequestError('Invalid field <mtu>: an integer in 68..65535', { field: 'mtu' });
  }
  const vmName = str('vm-name');
  const vnUuid = uuid('vn-uuid');
  const vmiUuid = uuid('vmi-uuid');
  return {
    vmiUuid,
    vmUuid,
    vnUuid,
    vmName,
    containerId: str('vm-id', false),
    tap,
    ifname,
    netns,
    ...(typeof mtu === 'number' ? { mtu } : {}),
    time: str('time', false) || new Date().toISOString(),
  };
}

export class PortStore {
  readonly dir: string | undefined;
  readonly #ports = new Map<string, PortEntry>();

  /** `dir` undefined: in memory only (tests). */
  constructor(dir?: string) {
    this.dir = dir;
  }

  /** Reads the persisted ports; unreadable files are returned as problems and left on disk. */
  load(): string[] {
    const problems: string[] = [];
    if (!this.dir) return problems;
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        const p = portFromJson(JSON.parse(readFileSync(join(this.dir, f), 'utf8')));
        this.#ports.set(p.vmiUuid, p);
      } catch (err) {
        problems.push(`${join(this.dir, f)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return problems;
  }

  get size(): number {
    return this.#ports.size;
  }

  get(vmiUuid: string): PortEntry | undefined {
    return this.#ports.get(vmiUuid);
  }

  all(): PortEntry[] {
    return [...this.#ports.values()].sort((a, b) => (a.tap < b.tap ? -1 : a.tap > b.tap ? 1 : 0));
  }

  byVm(vmUuid: string): PortEntry[] {
    return this.all().filter((p) => p.vmUuid === vmUuid);
  }

  byContainer(containerId: string, ifname?: string): PortEntry[] {
    return this.all().filter((p) => p.containerId === containerId && (ifname === undefined || p.ifname === ifname));
  }

  put(p: PortEntry): void {
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true });
      const file = join(this.dir, `${p.vmiUuid}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(portToJson(p), null, 2));
      renameSync(tmp, file);
    }
    this.#ports.set(p.vmiUuid, p);
  }

  delete(vmiUuid: string): boolean {
    if (this.dir) rmSync(join(this.dir, `${vmiUuid}.json`), { force: true });
    return this.#ports.delete(vmiUuid);
  }
}
