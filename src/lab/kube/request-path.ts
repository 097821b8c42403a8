// Parses a Kubernetes API URL path into what it names: a discovery document or a resource request
// (group, version, resource, namespace, name, subresource, and the deprecated /watch/ prefix). Pure.
import { findResource, resourcesOf, type ResourceInfo } from './resources.js';

export type ApiPath =
  | { kind: 'root' }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'groupVersion'; group: string; version: string }
  | {
      kind: 'resource';
      info: ResourceInfo;
      namespace?: string;
      name?: string;
      subresource?: string;
      watchPrefix: boolean;
    }
  | { kind: 'unknown' };

export function parseApiPath(pathname: string): ApiPath {
  const segs = pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  if (segs.length === 0) return { kind: 'root' };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'api' };
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { kind: 'apis' };
    if (segs.length === 2) return { kind: 'group', group: segs[1] };
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return { kind: 'unknown' };
  if (resourcesOf(group, version).length === 0) return { kind: 'unknown' };
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  // namespaces/<ns>/<resource>[/<name>[/<sub>]]
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const info = findResource(group, version, rest[2]);
    if (info?.namespaced) {
      if (rest.length > 5) return { kind: 'unknown' };
      return { kind: 'resource', info, namespace: rest[1], name: rest[3], subresource: rest[4], watchPrefix };
    }
  }
  const info = findResource(group, version, rest[0]);
  if (!info || rest.length > 3) return { kind: 'unknown' };
  if (info.namespaced && rest.length > 1) return { kind: 'unknown' };
  return { kind: 'resource', info, name: rest[1], subresource: rest[2], watchPrefix };
}
