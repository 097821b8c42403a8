// INI files as the original's daemons read them (Python 2 SafeConfigParser): `[SECTION]` headers,
// `key = value` or `key: value` (the first '=' or ':' splits), keys case-folded to lower case,
// whole-line comments starting with '#' or ';', inline comments after whitespace + ';', indented
// continuation lines joined with '\n', `[DEFAULT]` values inherited by every section, the last
// duplicate winning. No %(name)s interpolation. Pure; errors carry the line number.
import { TfError } from './errors.js';

export class IniError extends TfError {
  constructor(message: string, readonly line: number) {
    super('INI_INVALID', `line ${line}: ${message}`, { status: 400, details: { line } });
  }
}

export interface IniFile {
  /** section name → (lower-cased key → value), [DEFAULT] values already merged in */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** where each section.key was defined (for error messages) */
  readonly lines: ReadonlyMap<string, number>;
  get(section: string, key: string): string | undefined;
}

export function parseIni(text: string): IniFile {
  const raw = new Map<string, Map<string, string>>();
  const lines = new Map<string, number>();
  let section: string | undefined;
  let lastKey: string | undefined;
  const src = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < src.length; i++) {
    const n = i + 1;
    const line = src[i];
    const trimmed = line.trim();
    if (trimmed === '') {
      lastKey = undefined;
      continue;
    }
    if (/^[#;]/.test(trimmed) || /^rem\s/i.test(trimmed)) continue;
    if (/^\s/.test(line) && lastKey !== undefined && section !== undefined) {
      const sec = raw.get(section)!;
      sec.set(lastKey, `${sec.get(lastKey)}\n${stripInline(trimmed)}`);
      continue;
    }
    const header = /^\[([^\]]+)\]\s*(?:[#;].*)?$/.exec(trimmed);
    if (header) {
      section = header[1].trim();
      if (!raw.has(section)) raw.set(section, new Map());
      lastKey = undefined;
      continue;
    }
    if (section === undefined) throw new IniError(`key outside of any [section]: ${JSON.stringify(trimmed)}`, n);
    const m = /^([^=:]*?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!m || m[1] === '') throw new IniError(`expected "key = value", got ${JSON.stringify(trimmed)}`, n);
    const key = m[1].toLowerCase();
    raw.get(section)!.set(key, stripInline(m[2]));
    lines.set(`${section}.${key}`, n);
    lastKey = key;
  }
  const defaults = raw.get('DEFAULT') ?? new Map<string, string>();
  const sections = new Map<string, Map<string, string>>();
  for (const [name, values] of raw) {
    if (name === 'DEFAULT') continue;
    sections.set(name, new Map([...defaults, ...values]));
  }
  if (raw.has('DEFAULT')) sections.set('DEFAULT', new Map(defaults));
  return {
    sections,
    lines,
    get: (s, k) => sections.get(s)?.get(k.toLowerCase()),
  };
}

function stripInline(v: string): string {
  const m = /\s;/.exec(v);
  return (m ? v.slice(0, m.index) : v).trim();
}
