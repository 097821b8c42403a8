// Cache events → keys to reconcile (handlers only keep indexes and touch keys; reconcile decides).
import type { CacheHandlers } from '../vnc/cache.js';
import type { VncObject } from '../vnc/object.js';
import type { GlobalSystemConfig, LogicalRouter, RoutingInstance, SecurityGroup, VirtualMachineInterface, VirtualNetwork } from '../vnc/schema.js';
import type { Ctx } from './context.js';
import { isDerived, ownerOf } from './marks.js';
import { fqStr } from './world.js';

const uuids = (refs: readonly { uuid: string }[] | null | undefined): string[] => (refs ?? []).map((r) => r.uuid);

function onVn(ctx: Ctx, vn: VirtualNetwork, old?: VirtualNetwork): void {
  ctx.touch('alloc', vn.uuid);
  ctx.touch('vn', vn.uuid);
  // Networks that address one of this network's policies (old or new) by name see its attachment set change.
  for (const pu of new Set([...uuids(vn.network_policy_refs), ...uuids(old?.network_policy_refs)])) {
    const p = ctx.cache.get(pu);
    if (p) for (const u of ctx.idx.addrUsersOf(fqStr(p.fq_name))) ctx.touch('vn', u);
  }
}

function onRouterVns(ctx: Ctx, lr: LogicalRouter): void {
  for (const vn of ctx.world.routerVns(lr)) ctx.touch('vn', vn.uuid);
}

function routed(obj: VncObject, type: string, ctx: Ctx, old?: VncObject): void {
  switch (type) {
    case 'virtual-network':
      onVn(ctx, obj, old);
      return;
    case 'routing-instance': {
      const ri = obj as RoutingInstance;
      if (ri.parent_uuid && (ri.routing_instance_is_default || (old as RoutingInstance | undefined)?.routing_instance_is_default)) ctx.touch('vn', ri.parent_uuid);
      const now = new Set(ctx.cache.get(ri.uuid) ? uuids(ri.route_target_refs) : []);
      for (const u of uuids((old as RoutingInstance | undefined)?.route_target_refs)) if (!now.has(u) && isDerived(ctx.cache.get(u))) ctx.touch('rt', u);
      return;
    }
    case 'route-target':
      if (!ctx.cache.get(obj.uuid)) ctx.idx.routeTargetGone(obj.uuid);
      else ctx.idx.routeTargetSeen(obj);
      if (ownerOf(obj)) ctx.touch('alloc', ownerOf(obj)!);
      return;
    case 'access-control-list':
      if (obj.parent_uuid) ctx.touch(obj.parent_type === 'security-group' ? 'sg' : 'vn', obj.parent_uuid);
      return;
    case 'network-policy':
      for (const vn of ctx.cache.backRefs(obj.uuid, 'virtual-network')) ctx.touch('vn', vn.uuid);
      for (const u of ctx.idx.addrUsersOf(fqStr(obj.fq_name))) ctx.touch('vn', u);
      return;
    case 'security-group': {
      ctx.touch('sg', obj.uuid);
      const id = (obj as SecurityGroup).security_group_id;
      if (!old || !ctx.cache.get(obj.uuid) || id !== (old as SecurityGroup).security_group_id) {
        for (const u of ctx.idx.sgReferrersOf(fqStr(obj.fq_name))) ctx.touch('sg', u);
      }
      return;
    }
    case 'logical-router':
      onRouterVns(ctx, obj);
      if (old) onRouterVns(ctx, old);
      return;
    case 'virtual-machine-interface': {
      const lrs = ctx.cache.backRefs(obj.uuid, 'logical-router');
      if (lrs.length === 0) return;
      for (const lr of lrs) onRouterVns(ctx, lr);
      for (const u of [...uuids((obj as VirtualMachineInterface).virtual_network_refs), ...uuids((old as VirtualMachineInterface | undefined)?.virtual_network_refs)]) ctx.touch('vn', u);
      return;
    }
    case 'global-system-config':
      if ((obj as GlobalSystemConfig).autonomous_system !== (old as GlobalSystemConfig | undefined)?.autonomous_system) {
        for (const vn of ctx.cache.list('virtual-network')) {
          ctx.touch('alloc', vn.uuid);
          ctx.touch('vn', vn.uuid);
        }
      }
      return;
  }
}

export function eventHandlers(ctx: Ctx, observe: (uuid: string) => void): CacheHandlers {
  return {
    add(obj, type) {
      routed(obj, type, ctx);
      observe(obj.uuid);
    },
    update(obj, old, type) {
      routed(obj, type, ctx, old);
      observe(obj.uuid);
    },
    delete(obj, type) {
      routed(obj, type, ctx, obj);
      observe(obj.uuid);
    },
  };
}
