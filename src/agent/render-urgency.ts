// Whether a new datapath state needs a render soon (pure). A CNI ADD plumbs its pod completely — veth,
// host route, VRF rules, its security groups, its network's policy and its address in the group sets
// (docs/datapath.md "Pod plumbing") — and a CNI DEL removes its pod's veth and rules; during a burst of them
// the model changes with every pod, but what those changes still need from a render (the interface in the
// table's marker, a VRF's VXLAN device, fabric SNAT of the new address, clean-up of a deleted pod's map
// elements) can wait until CNI is quiet. Anything else — a route, a service, a policy, a group member from
// elsewhere — is urgent: the pacer renders it within its bound (render-pacer.ts) even during a burst.
import type { NodeState } from '../datapath/model.js';

export interface Covered {
  /** taps plumbed by CNI ADD since the last render */
  added: ReadonlySet<string>;
  /** taps removed by CNI DEL since the last render */
  removed: ReadonlySet<string>;
}

const key = (x: unknown): string => JSON.stringify(x);

/**
 * The state with what covered ADDs and DELs account for taken out, so that `urgent()` compares only the
 * rest: interfaces added or removed, VRFs that only they bring or leave (with the routes of a VRF left
 * behind empty), their addresses in address groups and fabric SNAT sources.
 */
function residue(s: NodeState, taps: ReadonlySet<string>, other: NodeState): NodeState {
  const gone = s.interfaces.filter((f) => taps.has(f.tap));
  const ips = new Set(gone.map((f) => f.ip));
  const interfaces = s.interfaces.filter((f) => !taps.has(f.tap));
  const otherVrfs = new Set(other.vrfs.map((v) => v.name));
  const keptVrfs = new Set(interfaces.map((f) => f.vrf));
  // A VRF only the covered interfaces use and the other state does not have.
  const only = new Set(s.vrfs.filter((v) => !otherVrfs.has(v.name) && !keptVrfs.has(v.name) && gone.some((f) => f.vrf === v.name)).map((v) => v.name));
  const vrfs = s.vrfs.filter((v) => !only.has(v.name));
  // Groups only the covered interfaces' policies name (their ADD created the sets) go with them.
  const named = new Set<string>();
  for (const f of interfaces) for (const d of f.policy ? [f.policy.ingress, f.policy.egress] : []) for (const r of d.rules) if (r.remoteGroup) named.add(r.remoteGroup);
  for (const v of vrfs) for (const r of v.policy?.rules ?? []) for (const e of [r.src, r.dst]) if (e?.group) named.add(e.group);
  const otherGroups = new Set(other.addressGroups.map((g) => g.id));
  return {
    ...s,
    interfaces,
    vrfs,
    routes: s.routes.filter((r) => !only.has(r.vrf)),
    addressGroups: s.addressGroups
      .filter((g) => named.has(g.id) || otherGroups.has(g.id))
      .map((g) => ({ ...g, addresses: g.addresses.filter((a) => !ips.has(a)) })),
    snat: s.snat.map((r) => ({ ...r, sources: r.sources.filter((c) => !ips.has(c.replace(/\/32$/, ''))) })).filter((r) => r.sources.length > 0),
  };
}

/** True when `next` differs from `rendered` in more than what covered ADDs and DELs already applied. */
export function urgent(rendered: NodeState | undefined, next: NodeState, covered: Covered): boolean {
  if (!rendered) return true;
  if (covered.added.size === 0 && covered.removed.size === 0) return key(rendered) !== key(next);
  const a = residue(next, covered.added, rendered);
  const b = residue(rendered, covered.removed, next);
  return key(a) !== key(b);
}
