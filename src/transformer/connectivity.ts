// Which virtual networks are connected (pure), as the original's VirtualNetworkST.evaluate:
// every usable non-deny rule of a network's policies that has the network on one side names the
// other side as a wanted connection (`any` → every network of the same project, plus every network
// that names this one); two networks are connected only when each wants the other. Logical routers
// connect all the networks of their interfaces unconditionally.
import type { VirtualNetwork } from '../vnc/schema.js';
import { attachedPolicies, orderedRules, rulePairs, usableRule } from './policy-rules.js';
import { fqStr, type World } from './world.js';

export const ANY = '*';

export interface Wanted {
  /** fq_name strings of the networks this one's policies name, and ANY for `any` */
  names: Set<string>;
  /** policies used as addresses (their attachment sets were read) */
  usedPolicies: Set<string>;
}

/** The networks a network's own policies ask to be connected to (the original's `connections`). */
export function wanted(vn: VirtualNetwork, world: World): Wanted {
  const self = fqStr(vn.fq_name);
  const names = new Set<string>();
  const usedPolicies = new Set<string>();
  for (const { policy } of attachedPolicies(vn, world)) {
    for (const rule of orderedRules(policy)) {
      const pairs = rulePairs(self, rule, world, usedPolicies);
      if (!usableRule(rule) || rule.action_list?.simple_action !== 'pass') continue;
      for (const { src, dst } of pairs) {
        const add = (other: string | null | undefined): void => {
          if (!other || other === self) return;
          names.add(other === 'any' ? ANY : other);
        };
        if (dst.virtual_network === self || dst.virtual_network === 'any') add(src.virtual_network);
        if (src.virtual_network === self || src.virtual_network === 'any') add(dst.virtual_network);
      }
    }
  }
  return { names, usedPolicies };
}

/** `wanted` with ANY expanded (the original's expand_connections), as network uuids. */
export function expanded(vn: VirtualNetwork, w: Wanted, world: World): Set<string> {
  const out = new Set<string>();
  for (const name of w.names) {
    if (name === ANY) continue;
    const u = world.vnByFq(name);
    if (u && u.uuid !== vn.uuid) out.add(u.uuid);
  }
  if (w.names.has(ANY)) {
    if (vn.parent_uuid) for (const u of world.vnsInProject(vn.parent_uuid)) if (u.uuid !== vn.uuid) out.add(u.uuid);
    for (const u of world.listersOf(fqStr(vn.fq_name))) if (u !== vn.uuid) out.add(u);
  }
  return out;
}

export interface Connectivity {
  wanted: Wanted;
  /** uuids of the networks this one is connected to */
  connected: Set<string>;
}

/** The networks `vn` is connected to: mutual policy connections and logical-router neighbours. */
export function connectivity(vn: VirtualNetwork, world: World): Connectivity {
  const mine = wanted(vn, world);
  const connected = new Set<string>();
  const self = fqStr(vn.fq_name);
  for (const peerUuid of expanded(vn, mine, world)) {
    const peer = world.vn(peerUuid);
    if (!peer) continue;
    const theirs = wanted(peer, world);
    const mutual =
      theirs.names.has(self) ||
      (theirs.names.has(ANY) && ((!!peer.parent_uuid && peer.parent_uuid === vn.parent_uuid) || mine.names.has(fqStr(peer.fq_name))));
    if (mutual) connected.add(peerUuid);
  }
  for (const lr of world.routersOf(vn.uuid)) {
    for (const peer of world.routerVns(lr)) if (peer.uuid !== vn.uuid) connected.add(peer.uuid);
  }
  return { wanted: mine, connected };
}
