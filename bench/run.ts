// `npm run bench -- <name> [args…]`: imports bench/<name>.ts and runs its exported main(args).
const [name, ...args] = process.argv.slice(2);
if (name === undefined || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: npm run bench -- <name> [args…]   (a file bench/<name>.ts exporting main)');
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { main?: (args: string[]) => Promise<void> };
if (typeof mod.main !== 'function') {
  console.error(`bench/${name}.ts exports no main()`);
  process.exit(2);
}
await mod.main(args);
