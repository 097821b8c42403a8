// Text tables as ist.py prints them (Python PrettyTable, left aligned, with a column max width whose
// overflow wraps like Python 2.7's textwrap: on whitespace and after hyphenated words, long words
// broken), so `tfctl ctr …` and `tfctl vr …` output reads like the original's introspect CLI.

// Python 2.7's textwrap (ist.py runs on Python 2): chunks are whitespace runs, "hyphenated word" pieces
// (word characters ending in a letter, then '-', when more letters follow) and em-dashes.
const WORDSEP = /(\s+|[^\s\w]*\w+[^0-9\W]-(?=\w+[^0-9\W])|(?<=[\w!"'&.,?])-{2,}(?=\w))/;
const WHITESPACE = /[\t\n\v\f\r]/g;

function chunks(text: string): string[] {
  return text.replace(WHITESPACE, ' ').split(WORDSEP).filter((c) => c !== undefined && c !== '');
}

/** Python 2.7's textwrap.wrap(text, width) with its defaults (break long words, break on hyphens, drop whitespace). */
export function wrap(text: string, width: number): string[] {
  if (width <= 0) throw new RangeError(`invalid width ${width}`);
  const rest = chunks(text).reverse();
  const lines: string[] = [];
  while (rest.length) {
    const line: string[] = [];
    let len = 0;
    if (rest[rest.length - 1].trim() === '' && lines.length) rest.pop();
    while (rest.length) {
      const l = rest[rest.length - 1].length;
      if (len + l <= width) {
        line.push(rest.pop()!);
        len += l;
      } else break;
    }
    if (rest.length && rest[rest.length - 1].length > width) {
      const space = width - len;
      const chunk = rest[rest.length - 1];
      line.push(chunk.slice(0, space));
      rest[rest.length - 1] = chunk.slice(space);
    }
    if (line.length && line[line.length - 1].trim() === '') line.pop();
    if (line.length) lines.push(line.join(''));
  }
  return lines;
}

export interface TableOptions {
  /** Column max width (ist.py's --max-width); wider cells wrap. */
  readonly maxWidth?: number;
}

/** A PrettyTable: header row, one row per entry, cells may span several lines. */
export type Cell = string | number | boolean | null | undefined;

export function prettyTable(headers: readonly string[], rows: readonly (readonly Cell[])[], o: TableOptions = {}): string {
  const max = o.maxWidth ?? 60;
  const cellLines = (v: Cell): string[] => String(v ?? '').split('\n');
  const widths = headers.map((h, i) => {
    let w = h.length;
    for (const r of rows) for (const l of cellLines(r[i])) w = Math.max(w, l.length);
    return Math.min(w, max);
  });
  const fit = (v: Cell, w: number): string[] => cellLines(v).flatMap((l) => (l.length > w ? wrap(l, w) : [l]));
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const render = (cells: readonly Cell[]): string[] => {
    const parts = widths.map((w, i) => fit(cells[i], w));
    const height = Math.max(1, ...parts.map((p) => p.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) out.push(`|${widths.map((w, i) => ` ${(parts[i][k] ?? '').padEnd(w)} `).join('|')}|`);
    return out;
  };
  return [border, ...render(headers), border, ...rows.flatMap((r) => render(r)), border].join('\n');
}
