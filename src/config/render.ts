// Turns stored objects into the wire shape of reads: name, hrefs, references with hrefs,
// back-references (with the referrer's attr) and children, all computed from the mirror's indexes.
import { backRefFieldName, childFieldName, findType, refFieldName } from '../vnc/schema.js';
import { objType, type Mirror, type StoredObject } from './mirror.js';

export interface RenderOptions {
  /** e.g. http://127.0.0.1:8082 */
  base: string;
  excludeHrefs?: boolean;
  /** only these fields (plus identity, id_perms, perms2); undefined = every property and ref */
  fields?: ReadonlySet<string>;
  backRefs?: boolean;
  children?: boolean;
}

const ALWAYS = new Set(['uuid', 'fq_name', 'name', 'href', 'parent_type', 'parent_uuid', 'parent_href', 'id_perms', 'perms2', 'display_name']);

export function hrefOf(base: string, type: string, uuid: string): string {
  return `${base}/${type}/${uuid}`;
}

export function render(m: Mirror, obj: StoredObject, opts: RenderOptions): Record<string, unknown> {
  const type = objType(obj);
  const rt = findType(type)!;
  const want = (f: string): boolean => !opts.fields || ALWAYS.has(f) || opts.fields.has(f);
  const hrefs = !opts.excludeHrefs;
  const out: Record<string, unknown> = { uuid: obj.uuid, name: obj.fq_name[obj.fq_name.length - 1], fq_name: obj.fq_name };
  if (hrefs) out.href = hrefOf(opts.base, type, obj.uuid);
  if (obj.parent_type) {
    out.parent_type = obj.parent_type;
    out.parent_uuid = obj.parent_uuid;
    if (hrefs) out.parent_href = hrefOf(opts.base, obj.parent_type, obj.parent_uuid!);
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k in out || !want(k)) continue;
    const ref = rt.refs.get(k);
    if (ref && hrefs && Array.isArray(v)) {
      out[k] = (v as { to: string[]; uuid: string; attr: unknown }[]).map((e) => ({ to: e.to, href: hrefOf(opts.base, ref.target, e.uuid), attr: e.attr, uuid: e.uuid }));
    } else {
      out[k] = v;
    }
  }
  const backRefs = m.backRefs(obj.uuid);
  if (backRefs.size > 0 && (opts.backRefs || opts.fields)) {
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const [from, br] of backRefs) {
      const field = backRefFieldName(br.type);
      if (!(opts.backRefs || opts.fields?.has(field))) continue;
      const src = m.get(from);
      if (!src) continue;
      const entry = (src[refFieldName(type)] as { uuid: string; attr: unknown }[] | undefined)?.find((e) => e.uuid === obj.uuid);
      let list = groups.get(field);
      if (!list) groups.set(field, (list = []));
      list.push({ to: src.fq_name, ...(hrefs ? { href: hrefOf(opts.base, br.type, from) } : {}), attr: entry?.attr ?? null, uuid: from });
    }
    for (const [f, list] of groups) out[f] = list.sort((a, b) => String(a.uuid).localeCompare(String(b.uuid)));
  }
  const children = m.children(obj.uuid);
  if (children.size > 0 && (opts.children || opts.fields)) {
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const [child, childType] of children) {
      const field = childFieldName(childType);
      if (!(opts.children || opts.fields?.has(field))) continue;
      const c = m.get(child);
      if (!c) continue;
      let list = groups.get(field);
      if (!list) groups.set(field, (list = []));
      list.push({ to: c.fq_name, ...(hrefs ? { href: hrefOf(opts.base, childType, child) } : {}), uuid: child });
    }
    for (const [f, list] of groups) out[f] = list.sort((a, b) => String(a.uuid).localeCompare(String(b.uuid)));
  }
  return out;
}
