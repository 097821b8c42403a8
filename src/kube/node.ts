// Node → its virtual-router's references to the VMs of the pods it runs (`<spec.nodeName>` under
// default-global-system-config, created by the node's agent). One key per node, so the links of
// many pods scheduled together are written in one update instead of one per pod; references to VMs
// this cluster does not own are left alone.
import type { VncObject } from '../vnc/object.js';
import { isOwned } from './annotations.js';
import { derivedUuid, ROLE } from './names.js';
import type { Ctx } from './context.js';
import { podWantsInterface, VIRTUAL_ROUTER_PARENT } from './pod.js';
import { refsOf } from './vnc-state.js';

/** Above this many changes one update replaces the reference list; below, atomic ref-updates. */
const BATCH_THRESHOLD = 2;

export async function reconcileNode(ctx: Ctx, node: string): Promise<void> {
  const vr = ctx.vnc.byFq('virtual-router', [VIRTUAL_ROUTER_PARENT, node]);
  if (!vr) return; // its appearance re-enqueues this key
  const desired = new Map<string, VncObject>();
  for (const pod of ctx.k8s.pods.list()) {
    if (pod.spec?.nodeName !== node || !podWantsInterface(pod)) continue;
    const uid = pod.metadata!.uid!;
    const vm = ctx.vnc.getTyped('virtual-machine', uid);
    // only complete pods: a VM whose instance IP is not there yet may still be rolled back
    if (vm && isOwned(vm, ctx.owner) && ctx.vnc.getTyped('instance-ip', derivedUuid(uid, ROLE.podIip))) desired.set(vm.uuid, vm);
  }
  const current = refsOf(vr, 'virtual_machine_refs');
  const have = new Set(current.map((r) => r.uuid));
  const add = [...desired.values()].filter((vm) => !have.has(vm.uuid));
  const remove = current.filter((r) => {
    if (desired.has(r.uuid)) return false;
    const vm = ctx.vnc.getTyped('virtual-machine', r.uuid);
    return vm !== undefined && isOwned(vm, ctx.owner);
  });
  if (add.length === 0 && remove.length === 0) return;
  const tx = ctx.tx();
  if (add.length + remove.length <= BATCH_THRESHOLD) {
    for (const vm of add) await tx.refAdd('virtual-router', vr.uuid, 'virtual-machine', vm.uuid);
    for (const r of remove) await tx.refDelete('virtual-router', vr.uuid, 'virtual-machine', r.uuid);
  } else {
    const gone = new Set(remove.map((r) => r.uuid));
    const refs = [...current.filter((r) => !gone.has(r.uuid)).map((r) => ({ to: r.to, uuid: r.uuid })), ...add.map((vm) => ({ to: vm.fq_name, uuid: vm.uuid }))];
    await tx.update('virtual-router', vr.uuid, { virtual_machine_refs: refs });
  }
  await tx.settle();
}
