// The cluster-wide objects kube-manager creates when it starts (seed 004 A.1, A.3): the project
// (cluster_project in single-tenant mode, <domain>:default in multi-tenant mode), the flat-subnet
// pod-ipam holding pod_subnets, the service-ipam, and cluster-network with the service subnet on
// its service-ipam reference and the pod-ipam flat subnet; plus the `opencontrail` service appliance
// set that ingress load balancers refer to. Idempotent: an in-sync cluster costs no write.
import { formatCidr, type Cidr } from '../common/ip.js';
import type { Logger } from '../common/log.js';
import type { ClusterInfo } from './context.js';
import type { KubeManagerConfig } from './config.js';
import { ConfigError } from './errors.js';
import { clusterProjectOf, type ClusterNames } from './names.js';
import type { ObjectSpec, Tx } from './tx.js';

export const NATIVE_SAS = ['default-global-system-config', 'native'];
export const OPENCONTRAIL_SAS = ['default-global-system-config', 'opencontrail'];

const subnet = (c: Cidr): { ip_prefix: string; ip_prefix_len: number } => {
  const [ip_prefix] = formatCidr(c).split('/');
  return { ip_prefix, ip_prefix_len: c.len };
};

/** The desired cluster objects, in creation order. Pure. */
export function clusterSpecs(cfg: KubeManagerConfig, names: ClusterNames): { specs: ObjectSpec[]; info: ClusterInfo } {
  const project = clusterProjectOf(names);
  const podIpam = [...project, 'pod-ipam'];
  const serviceIpam = [...project, 'service-ipam'];
  const network = cfg.clusterNetwork ?? [...project, 'cluster-network'];
  const specs: ObjectSpec[] = [];
  if (project[0] !== 'default-domain') specs.push({ type: 'domain', fq_name: [project[0]], fields: {} });
  specs.push({ type: 'project', fq_name: [...project], parent_type: 'domain', fields: {} });
  specs.push({
    type: 'network-ipam',
    fq_name: podIpam,
    parent_type: 'project',
    fields: { ipam_subnet_method: 'flat-subnet', ipam_subnets: { subnets: cfg.podSubnets.map((c) => ({ subnet: subnet(c) })) } },
  });
  specs.push({ type: 'network-ipam', fq_name: serviceIpam, parent_type: 'project', fields: {} });
  if (!cfg.clusterNetwork) {
    specs.push({
      type: 'virtual-network',
      fq_name: network,
      parent_type: 'project',
      fields: {
        virtual_network_properties: { forwarding_mode: 'l3' },
        address_allocation_mode: 'user-defined-subnet-only',
        port_security_enabled: true,
        // at creation; afterwards the default namespace's reconcile keeps it (annotation > option)
        fabric_snat: cfg.ipFabricSnat ? true : null,
        // multi-tenant: pods of every namespace's project attach to it
        ...(names.clusterProject ? {} : { perms2: { global_access: 5 } }),
        network_ipam_refs: [
          { to: serviceIpam, attr: { ipam_subnets: cfg.serviceSubnets.map((c) => ({ subnet: subnet(c) })) } },
          { to: podIpam, attr: { ipam_subnets: [{ subnet: null, enable_dhcp: true }] } },
        ],
      },
    });
  }
  specs.push({ type: 'service-appliance-set', fq_name: OPENCONTRAIL_SAS, parent_type: 'global-system-config', fields: {} });
  return { specs, info: { project, podIpam, serviceIpam, network } };
}

export async function ensureCluster(tx: Tx, cfg: KubeManagerConfig, names: ClusterNames, log: Logger): Promise<ClusterInfo> {
  const { specs, info } = clusterSpecs(cfg, names);
  for (const spec of specs) {
    const have = tx.state.byFq(spec.type, spec.fq_name);
    // The cluster's project and the appliance set may pre-exist: use them as they are.
    if (have && (spec.type === 'project' || spec.type === 'domain' || spec.type === 'service-appliance-set')) continue;
    if (have && spec.type === 'virtual-network') {
      const { fabric_snat: _owned, ...fields } = spec.fields;
      await tx.ensure({ ...spec, fields }, have);
    } else await tx.ensure(spec, have);
  }
  if (cfg.clusterNetwork && !tx.state.byFq('virtual-network', cfg.clusterNetwork)) {
    throw new ConfigError(`[KUBERNETES] cluster_network: virtual network ${cfg.clusterNetwork.join(':')} does not exist`, 'KM_CLUSTER_NETWORK_MISSING');
  }
  if (cfg.publicFipPool && !tx.state.byFq('floating-ip-pool', cfg.publicFipPool)) {
    log.warn({ pool: cfg.publicFipPool.join(':') }, 'public_fip_pool does not exist (yet); LoadBalancer services wait for it');
  }
  await tx.settle();
  return info;
}
