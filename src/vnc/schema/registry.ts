// The schema registry: every resource type with its parents, properties, references, and the
// back-reference and children fields derived from them. The server, the client, validation and
// the CLI all read it.
import { COMPLEX_TYPES } from './complex-types.js';
import type { FieldType } from './field-types.js';
import { COMMON_PROPS, RESOURCE_TYPES, type ResourceTypeDef } from './resource-types.js';

export interface RefField {
  /** e.g. 'network_ipam_refs' */
  readonly field: string;
  /** referenced type, e.g. 'network-ipam' */
  readonly target: string;
  readonly attr: FieldType | null;
}

export interface BackRefField {
  /** e.g. 'virtual_machine_interface_back_refs' */
  readonly field: string;
  /** referring type */
  readonly source: string;
}

export interface ChildField {
  /** e.g. 'routing_instances' */
  readonly field: string;
  readonly child: string;
  /** the system owns these children; they are deleted with the parent */
  readonly derived: boolean;
}

export interface ResourceType {
  readonly name: string;
  /** collection name: 'virtual-networks' */
  readonly plural: string;
  /** JSON key form: 'virtual_network' */
  readonly underscored: string;
  readonly parents: readonly string[];
  readonly derivedParents: ReadonlySet<string>;
  /** every property including id_perms, perms2, annotations, display_name */
  readonly props: Readonly<Record<string, FieldType>>;
  readonly refs: ReadonlyMap<string, RefField>;
  readonly refsByTarget: ReadonlyMap<string, RefField>;
  readonly backRefs: readonly BackRefField[];
  readonly children: readonly ChildField[];
  readonly listProps: Readonly<Record<string, string>>;
  readonly mapProps: Readonly<Record<string, { readonly field: string; readonly key: string }>>;
}

export const underscore = (type: string): string => type.replace(/-/g, '_');
export const refFieldName = (target: string): string => `${underscore(target)}_refs`;
export const backRefFieldName = (source: string): string => `${underscore(source)}_back_refs`;
export const childFieldName = (child: string): string => `${underscore(child)}s`;

function build(defs: readonly ResourceTypeDef[]): Map<string, ResourceType> {
  const byName = new Map<string, ResourceTypeDef>(defs.map((d) => [d.name, d]));
  const out = new Map<string, ResourceType>();
  for (const d of defs) {
    for (const p of d.parents) if (!byName.has(p)) throw new Error(`schema bug: ${d.name} has unknown parent ${p}`);
    for (const t of Object.keys(d.refs)) if (!byName.has(t)) throw new Error(`schema bug: ${d.name} refers to unknown type ${t}`);
    const refs = new Map<string, RefField>();
    const refsByTarget = new Map<string, RefField>();
    for (const [target, attr] of Object.entries(d.refs)) {
      const r: RefField = { field: refFieldName(target), target, attr };
      refs.set(r.field, r);
      refsByTarget.set(target, r);
    }
    const backRefs = defs.filter((s) => Object.hasOwn(s.refs, d.name)).map((s) => ({ field: backRefFieldName(s.name), source: s.name }));
    const children = defs
      .filter((c) => c.parents.includes(d.name))
      .map((c) => ({ field: childFieldName(c.name), child: c.name, derived: (c.derivedParents ?? []).includes(d.name) }));
    out.set(d.name, {
      name: d.name,
      plural: `${d.name}s`,
      underscored: underscore(d.name),
      parents: d.parents,
      derivedParents: new Set(d.derivedParents ?? []),
      props: { ...COMMON_PROPS, ...d.props },
      refs,
      refsByTarget,
      backRefs,
      children,
      listProps: d.listProps ?? {},
      mapProps: { annotations: { field: 'key_value_pair', key: 'key' }, ...(d.mapProps ?? {}) },
    });
  }
  return out;
}

const TYPES = build(RESOURCE_TYPES);
const BY_PLURAL = new Map([...TYPES.values()].map((t) => [t.plural, t]));

export const ALL_TYPES: readonly ResourceType[] = [...TYPES.values()];
export const NAMED_TYPES = COMPLEX_TYPES;

export function findType(name: string): ResourceType | undefined {
  return TYPES.get(name) ?? TYPES.get(name.replace(/_/g, '-'));
}

export function findTypeByPlural(plural: string): ResourceType | undefined {
  return BY_PLURAL.get(plural);
}

/** Fields every object read carries besides properties, refs, back-refs and children. */
export const META_FIELDS: ReadonlySet<string> = new Set(['uuid', 'fq_name', 'name', 'href', 'parent_type', 'parent_uuid', 'parent_href']);

export function fqNameToString(fq: readonly string[]): string {
  return fq.join(':');
}

export function fqNameFromString(s: string): string[] {
  return s.split(':');
}

/** Python repr of an fq_name, as the original's messages print it: ['a', 'b']. */
export function fqNameRepr(fq: readonly string[]): string {
  return `[${fq.map((p) => `'${p}'`).join(', ')}]`;
}
