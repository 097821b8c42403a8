// Names, fq_names and deterministic uuids of the VNC objects kube-manager owns (seed 004's
// appendices). Every object that belongs to one Kubernetes object gets a uuid derived from that
// object's uid and the object's role, so a reconcile that crashed half-way finds and reuses what it
// created (no duplicates, no leaks) and a retried create is recognised. Pure.
import { createHash } from 'node:crypto';

/** The original's VncCommon.make_name: parts joined with '__'. */
export const makeName = (...parts: (string | number)[]): string => parts.join('__');

/** Memo of derivedUuid (node reconciles derive every pod's uuids; a SHA-1 each time shows in profiles). */
const derived = new Map<string, string>();
const DERIVED_MEMO_MAX = 200_000;

/** A name-based (version 5 style) uuid from a Kubernetes uid and a role string. */
export function derivedUuid(uid: string, role: string): string {
  const key = `${uid}\0${role}`;
  let u = derived.get(key);
  if (u === undefined) {
    if (derived.size >= DERIVED_MEMO_MAX) derived.clear();
    derived.set(key, (u = hashUuid(uid, role)));
  }
  return u;
}

function hashUuid(uid: string, role: string): string {
  const h = createHash('sha1').update(`tungsten-ts/kube-manager\0${uid}\0${role}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export const fqKey = (fq: readonly string[]): string => fq.join(':');

export interface ClusterNames {
  readonly cluster: string;
  readonly domain: string;
  /** single-tenant project, undefined in multi-tenant mode */
  readonly clusterProject?: readonly [string, string];
}

/** The project a namespace's objects live in. */
export function projectOf(c: ClusterNames, namespace: string): [string, string] {
  return c.clusterProject ? [c.clusterProject[0], c.clusterProject[1]] : [c.domain, namespace];
}

/** The project of the cluster-wide objects (IPAMs, cluster-network). */
export function clusterProjectOf(c: ClusterNames): [string, string] {
  return c.clusterProject ? [c.clusterProject[0], c.clusterProject[1]] : [c.domain, 'default'];
}

export const nsDefaultSgName = (c: ClusterNames, ns: string): string => `${c.cluster}-${ns}-default`;
export const nsSgName = (c: ClusterNames, ns: string): string => `${c.cluster}-${ns}-sg`;
/** Allow-all for one direction, attached to pods isolated by NetworkPolicy in the other direction only. */
export const nsAllowIngressSgName = (c: ClusterNames, ns: string): string => `${c.cluster}-${ns}-allow-ingress`;
export const nsAllowEgressSgName = (c: ClusterNames, ns: string): string => `${c.cluster}-${ns}-allow-egress`;
export const isolatedVnName = (ns: string): string => `${ns}-vn`;

export const podVmName = (pod: string, uid: string): string => makeName(pod, uid);
export const displayName = (ns: string, name: string): string => makeName(ns, name);

export const ROLE = {
  podVmi: 'pod/vmi',
  podIip: 'pod/iip',
  lbVmi: 'lb/vmi',
  lbIip: 'lb/iip',
  lbVipFip: 'lb/vip-fip',
  listener: (proto: string, port: number) => `lb/listener/${proto}/${port}`,
  pool: (proto: string, port: number) => `lb/pool/${proto}/${port}`,
  member: (proto: string, port: number, podUid: string) => `lb/member/${proto}/${port}/${podUid}`,
  externalFip: (ip: string) => `lb/external-fip/${ip}`,
  ingressPool: (key: string) => `ingress/pool/${key}`,
  ingressMember: (key: string) => `ingress/member/${key}`,
} as const;
