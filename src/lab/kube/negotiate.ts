// HTTP content negotiation for the Kubernetes API: Accept headers with media-type parameters
// (`application/json;as=Table;v=v1;g=meta.k8s.io`), q-values, and request body content types. Pure.
import { notAcceptable, unsupportedMediaType } from './errors.js';

export interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly params: Readonly<Record<string, string>>;
  readonly q: number;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [{ type: '*', subtype: '*', params: {}, q: 1 }];
  const out: (MediaRange & { i: number })[] = [];
  header.split(',').forEach((part, i) => {
    const [mt, ...ps] = part.split(';').map((s) => s.trim());
    const [type, subtype] = mt.toLowerCase().split('/');
    if (!type || !subtype) return;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of ps) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim();
      const v = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (k === 'q') q = Number(v);
      else params[k] = v;
    }
    if (q > 0) out.push({ type, subtype, params, q, i });
  });
  return out.sort((a, b) => b.q - a.q || a.i - b.i);
}

export type ResponseFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1' };

const isJson = (m: MediaRange): boolean => (m.type === 'application' && m.subtype === 'json') || (m.type === 'application' && m.subtype === '*') || (m.type === '*' && m.subtype === '*');

/** The representation to send for an object or list request. */
export function negotiateObject(accept: string | undefined): ResponseFormat {
  for (const m of parseAccept(accept)) {
    if (m.type === 'application' && (m.subtype === 'yaml' || m.subtype === 'x-yaml') && !m.params.as) return { kind: 'yaml' };
    if (!isJson(m)) continue;
    const as = m.params.as;
    if (as === undefined) return { kind: 'json' };
    if (m.params.g !== 'meta.k8s.io') continue;
    const v = m.params.v === 'v1beta1' ? 'v1beta1' : m.params.v === 'v1' ? 'v1' : undefined;
    if (!v) continue;
    if (as === 'Table') return { kind: 'table', version: v };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata', version: v };
  }
  throw notAcceptable('only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
}

export type DiscoveryFormat = { kind: 'legacy' } | { kind: 'aggregated'; version: 'v2' | 'v2beta1' };

export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  for (const m of parseAccept(accept)) {
    if (!isJson(m)) continue;
    if (m.params.as === undefined) return { kind: 'legacy' };
    if (m.params.as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io' && (m.params.v === 'v2' || m.params.v === 'v2beta1')) return { kind: 'aggregated', version: m.params.v };
  }
  throw notAcceptable('only the following media types are accepted: application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
}

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

export function requestBodyFormat(contentType: string | undefined): BodyFormat {
  const base = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (base === '' || base === 'application/json' || base === '*/*') return 'json';
  if (base === 'application/yaml' || base === 'application/x-yaml' || base === 'text/yaml') return 'yaml';
  if (base === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  throw unsupportedMediaType(contentType ?? '');
}

export type PatchFormat = 'json' | 'merge' | 'strategic' | 'apply';

export function patchFormat(contentType: string | undefined): PatchFormat {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  switch (base) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+json':
      return 'apply';
    default:
      throw unsupportedMediaType(contentType ?? '');
  }
}
