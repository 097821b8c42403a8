// A parser for Python literals as the original's config files write them (ast.literal_eval's subset
// that matters here): dicts, lists, tuples, single/double/triple-quoted strings with escapes, ints,
// floats, True/False/None. `public_fip_pool = {'domain': 'default-domain', 'project': 'default', …}`.
// Pure; errors are PyLiteralError with the offset of the problem.
import { TfError } from './errors.js';

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

export class PyLiteralError extends TfError {
  constructor(message: string, readonly offset: number) {
    super('PY_LITERAL_INVALID', message, { status: 400, details: { offset } });
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

class Parser {
  #i = 0;
  constructor(readonly src: string) {}

  fail(msg: string, at = this.#i): never {
    throw new PyLiteralError(`${msg} at offset ${at} in ${JSON.stringify(this.src.length > 80 ? this.src.slice(0, 80) + '…' : this.src)}`, at);
  }

  ws(): void {
    while (this.#i < this.src.length) {
      const c = this.src[this.#i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.#i++;
      else if (c === '#') while (this.#i < this.src.length && this.src[this.#i] !== '\n') this.#i++;
      else break;
    }
  }

  done(): boolean {
    this.ws();
    return this.#i >= this.src.length;
  }

  value(): PyValue {
    this.ws();
    const c = this.src[this.#i];
    if (c === undefined) this.fail('unexpected end of input');
    if (c === '{') return this.dict();
    if (c === '[') return this.seq('[', ']');
    if (c === '(') return this.seq('(', ')');
    if (c === "'" || c === '"') return this.str();
    if (/[uUbBrR]/.test(c) && (this.src[this.#i + 1] === "'" || this.src[this.#i + 1] === '"')) {
      const raw = c === 'r' || c === 'R';
      this.#i++;
      return this.str(raw);
    }
    if (/[-+0-9.]/.test(c)) return this.num();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.#i))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.#i += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    return this.fail(word ? `unexpected name ${JSON.stringify(word)} (only literals are allowed)` : `unexpected character ${JSON.stringify(c)}`);
  }

  expect(ch: string): void {
    this.ws();
    if (this.src[this.#i] !== ch) this.fail(`expected ${JSON.stringify(ch)}`);
    this.#i++;
  }

  dict(): { [key: string]: PyValue } {
    this.expect('{');
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.ws();
      if (this.src[this.#i] === '}') break;
      const at = this.#i;
      const k = this.value();
      if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean' && k !== null) this.fail('dict keys must be strings or numbers', at);
      this.expect(':');
      out[String(k)] = this.value();
      this.ws();
      if (this.src[this.#i] === ',') this.#i++;
      else if (this.src[this.#i] !== '}') this.fail("expected ',' or '}'");
    }
    this.#i++;
    return out;
  }

  seq(open: string, close: string): PyValue[] {
    this.expect(open);
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.src[this.#i] === close) break;
      out.push(this.value());
      this.ws();
      if (this.src[this.#i] === ',') this.#i++;
      else if (this.src[this.#i] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.#i++;
    return out;
  }

  str(raw = false): string {
    const q = this.src[this.#i];
    const triple = this.src.startsWith(q.repeat(3), this.#i);
    const end = triple ? q.repeat(3) : q;
    const start = this.#i;
    this.#i += end.length;
    let out = '';
    for (;;) {
      if (this.#i >= this.src.length) this.fail('unterminated string', start);
      if (this.src.startsWith(end, this.#i)) {
        this.#i += end.length;
        return out;
      }
      const c = this.src[this.#i];
      if (!triple && c === '\n') this.fail('newline in string', this.#i);
      if (c === '\\' && !raw) {
        const n = this.src[this.#i + 1];
        if (n === 'x' || n === 'u') {
          const len = n === 'x' ? 2 : 4;
          const hex = this.src.slice(this.#i + 2, this.#i + 2 + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`bad \\${n} escape`);
          out += String.fromCharCode(parseInt(hex, 16));
          this.#i += 2 + len;
          continue;
        }
        if (n !== undefined && n in ESCAPES) {
          out += ESCAPES[n];
          this.#i += 2;
          continue;
        }
        out += c;
        this.#i++;
        continue;
      }
      out += c;
      this.#i++;
    }
  }

  num(): number {
    const m = /^[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?)/.exec(this.src.slice(this.#i));
    if (!m || m[0] === '' || m[0] === '-' || m[0] === '+') this.fail('bad number');
    this.#i += m[0].length;
    const text = m[0].replace(/_/g, '');
    const n = /0[xX]/.test(text) ? (text.startsWith('-') ? -1 : 1) * parseInt(text.replace(/^[-+]?0[xX]/, ''), 16) : Number(text);
    if (!Number.isFinite(n)) this.fail('bad number');
    return n;
  }
}

/** Parses one Python literal; trailing text other than whitespace and comments is an error. */
export function parsePyLiteral(src: string): PyValue {
  const p = new Parser(src);
  const v = p.value();
  if (!p.done()) p.fail('unexpected text after the literal');
  return v;
}

/** Parses a Python dict literal whose values are all strings (the config files' dict options). */
export function parsePyStringDict(src: string): Record<string, string> {
  const v = parsePyLiteral(src);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PyLiteralError(`expected a dict literal, got ${JSON.stringify(src)}`, 0);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new PyLiteralError(`value of ${JSON.stringify(k)} must be a string in ${JSON.stringify(src)}`, 0);
    out[k] = x;
  }
  return out;
}
