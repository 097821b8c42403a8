// tfctl config: list, show, create, update, delete and ref-update VNC objects through the config API.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ENV, defaultConfigApiUrl } from '../common/defaults.js';
import { TfError, errorMessage } from '../common/errors.js';
import { VncClient } from '../vnc/client.js';
import type { VncObject } from '../vnc/object.js';
import { findType, fqNameFromString, fqNameToString } from '../vnc/schema.js';
import { UsageError, parseCommandArgs, type CommandModule } from './command.js';

const usage = `usage: tfctl config [--api URL] [-o json|table] <verb> …
  list <type> [--parent fq:name] [--filter key==value]… [--detail]
  show <type> <uuid|fq:name>
  create <type> -f <file.json|file.yaml|->        (the object, or {"<type>": object})
  update <type> <uuid|fq:name> -f <file|->         (fields present replace the stored ones)
  delete <type> <uuid|fq:name>
  ref-update <type> <uuid|fq:name> ADD|DELETE <ref-type> <uuid|fq:name> [--attr JSON]

  --api   config API URL   env ${ENV.configApi}   default ${defaultConfigApiUrl()}
  -o      output format: table (default for list) or json (default for show/create/update)`;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function typeArg(t: string | undefined): string {
  if (!t) throw new UsageError('missing <type>');
  const rt = findType(t);
  if (!rt) throw new UsageError(`unknown type ${JSON.stringify(t)}`);
  return rt.name;
}

async function resolve(client: VncClient, type: string, id: string | undefined): Promise<string> {
  if (!id) throw new UsageError('missing <uuid|fq:name>');
  return UUID_RE.test(id) ? id : client.fqNameToId(type, fqNameFromString(id));
}

function readDoc(file: string | undefined, type: string): Record<string, unknown> {
  if (!file) throw new UsageError('missing -f <file>');
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  const doc = (/^\s*[[{]/.test(text) ? JSON.parse(text) : parseYaml(text)) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${file}: expected an object`);
  const d = doc as Record<string, unknown>;
  const inner = d[type];
  return typeof inner === 'object' && inner !== null && Object.keys(d).length === 1 ? (inner as Record<string, unknown>) : d;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

function showTable(obj: VncObject): string {
  const rows: string[][] = [['FIELD', 'VALUE']];
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'id_perms' || k === 'perms2' || k === 'href' || k === 'parent_href') continue;
    let text: string;
    if (Array.isArray(v) && v.every((e) => typeof e === 'object' && e !== null && 'to' in e)) {
      text = (v as { to: string[] }[]).map((e) => fqNameToString(e.to)).join(', ');
    } else {
      text = typeof v === 'string' ? v : JSON.stringify(v);
    }
    rows.push([k, text]);
  }
  return table(rows);
}

const command: CommandModule = {
  summary: 'VNC config objects: list, show, create, update, delete, ref-update',
  usage,
  async run(args) {
    const { values, positionals, help } = parseCommandArgs(args, {
      api: { type: 'string' },
      output: { type: 'string', short: 'o' },
      file: { type: 'string', short: 'f' },
      parent: { type: 'string' },
      filter: { type: 'string', multiple: true },
      detail: { type: 'boolean' },
      attr: { type: 'string' },
    });
    if (help || positionals.length === 0) {
      console.log(usage);
      return help ? 0 : 2;
    }
    const out = values.output;
    if (out !== undefined && out !== 'json' && out !== 'table') throw new UsageError('-o must be json or table');
    const client = new VncClient({ url: values.api ?? defaultConfigApiUrl(), retries: 2 });
    const [verb, ...rest] = positionals;
    try {
      switch (verb) {
        case 'list': {
          const type = typeArg(rest[0]);
          const filters: Record<string, string[]> = {};
          for (const f of values.filter ?? []) {
            const i = f.indexOf('==');
            if (i <= 0) throw new UsageError(`--filter must be key==value, got ${JSON.stringify(f)}`);
            filters[f.slice(0, i)] = [...(filters[f.slice(0, i)] ?? []), f.slice(i + 2)];
          }
          const items = await client.list(type, {
            detail: values.detail === true || out === 'json',
            ...(values.parent ? { parentFqName: fqNameFromString(values.parent) } : {}),
            ...(Object.keys(filters).length ? { filters } : {}),
          });
          if (out === 'json') console.log(JSON.stringify(items, null, 2));
          else console.log(table([['UUID', 'FQ_NAME'], ...items.map((o) => [o.uuid, fqNameToString(o.fq_name)])]));
          return 0;
        }
        case 'show': {
          const type = typeArg(rest[0]);
          const obj = await client.read(type, await resolve(client, type, rest[1]));
          console.log(out === 'table' ? showTable(obj) : JSON.stringify(obj, null, 2));
          return 0;
        }
        case 'create': {
          const type = typeArg(rest[0]);
          const obj = await client.create(type, readDoc(values.file, type));
          console.log(out === 'table' ? table([['UUID', 'FQ_NAME'], [obj.uuid, fqNameToString(obj.fq_name)]]) : JSON.stringify(obj, null, 2));
          return 0;
        }
        case 'update': {
          const type = typeArg(rest[0]);
          const uuid = await resolve(client, type, rest[1]);
          const obj = await client.update(type, uuid, readDoc(values.file, type));
          console.log(out === 'table' ? showTable(obj) : JSON.stringify(obj, null, 2));
          return 0;
        }
        case 'delete': {
          const type = typeArg(rest[0]);
          const uuid = await resolve(client, type, rest[1]);
          await client.delete(type, uuid);
          console.log(`deleted ${type} ${uuid}`);
          return 0;
        }
        case 'ref-update': {
          const type = typeArg(rest[0]);
          const uuid = await resolve(client, type, rest[1]);
          const op = (rest[2] ?? '').toUpperCase();
          if (op !== 'ADD' && op !== 'DELETE') throw new UsageError('operation must be ADD or DELETE');
          const refType = typeArg(rest[3]);
          const ref = rest[4];
          if (!ref) throw new UsageError('missing <ref uuid|fq:name>');
          const attr = values.attr === undefined ? undefined : (JSON.parse(values.attr) as unknown);
          await client.refUpdate(type, uuid, refType, UUID_RE.test(ref) ? ref : fqNameFromString(ref), op, attr);
          console.log(`${op === 'ADD' ? 'added' : 'removed'} ${refType} reference on ${type} ${uuid}`);
          return 0;
        }
        default:
          throw new UsageError(`unknown verb ${JSON.stringify(verb)}`);
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      console.error(`tfctl config: ${errorMessage(err)}${err instanceof TfError ? ` (${err.code})` : ''}`);
      return 1;
    } finally {
      client.close();
    }
  },
};

export default command;
