// Discovery documents: the legacy ones (/api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>)
// and aggregated discovery (apidiscovery.k8s.io v2 and v2beta1), which kubectl 1.32 asks for first
// through its Accept header. Built once from the resource table. Pure.
import { ALL_VERBS, apiGroups, apiVersionOf, resourcesOf, type ResourceInfo } from './resources.js';

const resourceVerbs = (_r: ResourceInfo): string[] => [...ALL_VERBS];

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupVersions(name: string, versions: string[]): { groupVersion: string; version: string }[] {
  return versions.map((v) => ({ groupVersion: apiVersionOf({ group: name, version: v }), version: v }));
}

export function apiGroup(name: string): unknown {
  const g = apiGroups().find((x) => x.name === name && name !== '');
  if (!g) return undefined;
  const versions = groupVersions(g.name, g.versions);
  return { kind: 'APIGroup', apiVersion: 'v1', name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups()
      .filter((g) => g.name !== '')
      .map((g) => {
        const versions = groupVersions(g.name, g.versions);
        return { name: g.name, versions, preferredVersion: versions[0] };
      }),
  };
}

export function apiResourceList(group: string, version: string): unknown {
  const list = resourcesOf(group, version);
  if (list.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const r of list) {
    resources.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: resourceVerbs(r),
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      resources.push({
        name: `${r.resource}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group !== r.group || s.version !== r.version ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

function discoveryResource(r: ResourceInfo): unknown {
  return {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: resourceVerbs(r),
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? { subresources: r.subresources.map((s) => ({ subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs })) }
      : {}),
  };
}

/** Aggregated discovery for `/api` (core only) or `/apis` (every named group). */
export function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1'): unknown {
  const items = apiGroups()
    .filter((g) => (core ? g.name === '' : g.name !== ''))
    .map((g) => ({
      metadata: { ...(g.name ? { name: g.name } : {}), creationTimestamp: null },
      versions: g.versions.map((v) => ({ version: v, resources: resourcesOf(g.name, v).map(discoveryResource), freshness: 'Current' })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export const AGGREGATED_CONTENT_TYPE = (version: string): string => `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
