// The small type language the schema registry uses to describe VNC properties and reference
// attributes (a typed reading of vnc_cfg.xsd), and the validator that checks request bodies
// against it. Every field may be null: vnc_api clients send null for unset fields.

export type FieldType =
  | { readonly k: 'string' }
  | { readonly k: 'int'; readonly min?: number; readonly max?: number }
  | { readonly k: 'bigint' }
  | { readonly k: 'bool' }
  | { readonly k: 'enum'; readonly values: readonly string[] }
  | { readonly k: 'list'; readonly of: FieldType }
  | ObjectType
  | { readonly k: 'named'; readonly name: string }
  | { readonly k: 'any' };

export interface ObjectType {
  readonly k: 'object';
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldType>>;
}

export const str: FieldType = { k: 'string' };
export const bool: FieldType = { k: 'bool' };
/** unsigned 64-bit values (uuid_mslong, ACL hash): a JSON number or a decimal string */
export const bigint: FieldType = { k: 'bigint' };
export const any: FieldType = { k: 'any' };
export const int = (min?: number, max?: number): FieldType => ({ k: 'int', min, max });
export const en = (...values: string[]): FieldType => ({ k: 'enum', values });
export const list = (of: FieldType): FieldType => ({ k: 'list', of });
export const named = (name: string): FieldType => ({ k: 'named', name });
export const obj = (name: string, fields: Record<string, FieldType>): ObjectType => ({ k: 'object', name, fields });

/** A validation failure at a JSON path, e.g. `virtual_network_properties.forwarding_mode`. */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'FieldError';
  }
}

export type NamedTypes = Readonly<Record<string, ObjectType>>;

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Throws FieldError naming the first problem; unknown object fields are problems. */
export function validateField(t: FieldType, v: unknown, path: string, named: NamedTypes): void {
  if (v === null || v === undefined) return;
  switch (t.k) {
    case 'any':
      return;
    case 'string':
      if (typeof v !== 'string') throw new FieldError(path, `expected a string, got ${describe(v)}`);
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw new FieldError(path, `expected true or false, got ${describe(v)}`);
      return;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new FieldError(path, `expected an integer, got ${describe(v)}`);
      if (t.min !== undefined && v < t.min) throw new FieldError(path, `${v} is below the minimum ${t.min}`);
      if (t.max !== undefined && v > t.max) throw new FieldError(path, `${v} is above the maximum ${t.max}`);
      return;
    case 'bigint':
      if (!((typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && /^\d{1,20}$/.test(v)))) {
        throw new FieldError(path, `expected an unsigned integer, got ${describe(v)}`);
      }
      return;
    case 'enum':
      if (typeof v !== 'string' || !t.values.includes(v)) {
        throw new FieldError(path, `expected one of ${t.values.join(', ')}, got ${describe(v)}`);
      }
      return;
    case 'list':
      if (!Array.isArray(v)) throw new FieldError(path, `expected a list, got ${describe(v)}`);
      for (let i = 0; i < v.length; i++) validateField(t.of, v[i], `${path}[${i}]`, named);
      return;
    case 'named': {
      const target = named[t.name];
      if (!target) throw new Error(`schema bug: unknown named type ${t.name}`);
      validateField(target, v, path, named);
      return;
    }
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) throw new FieldError(path, `expected an object (${t.name}), got ${describe(v)}`);
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        const ft = t.fields[key];
        if (!ft) throw new FieldError(`${path}.${key}`, `unknown field of ${t.name} (known: ${Object.keys(t.fields).join(', ')})`);
        validateField(ft, value, `${path}.${key}`, named);
      }
      return;
    }
  }
}
