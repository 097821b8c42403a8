// The key layout of the config store namespace. Objects and every index the API needs to enforce
// its rules under concurrency are plain keys, so a compare-and-swap transaction can guard them:
//   o/<type>/<uuid>        the object (JSON, without hrefs, back-refs or children)
//   n/<type>/<fq_name>     → uuid: fq_name uniqueness per type
//   c/<parent>/<child>     → child type: children index; a parent delete compares the range
//   r/<to>/<from>          → referrer type: back-reference index; a delete compares the range
//   x/<to>/<from>          → referrer type: a back-reference relaxed for delete
//   a/<pool>/<value>       → owner uuid: allocations (vn-id, sg-id, ip/<scope>)
//   u/<key>                useragent-kv values

export const objKey = (type: string, uuid: string): string => `o/${type}/${uuid}`;
export const fqKey = (type: string, fq: string): string => `n/${type}/${fq}`;
export const childKey = (parent: string, child: string): string => `c/${parent}/${child}`;
export const childPrefix = (parent: string): string => `c/${parent}/`;
export const refKey = (to: string, from: string): string => `r/${to}/${from}`;
export const refPrefix = (to: string): string => `r/${to}/`;
export const relaxedKey = (to: string, from: string): string => `x/${to}/${from}`;
export const relaxedPrefix = (to: string): string => `x/${to}/`;
export const allocKey = (pool: string, value: string): string => `a/${pool}/${value}`;
export const userAgentKey = (key: string): string => `u/${key}`;

export const VN_ID_POOL = 'vn-id';
export const SG_ID_POOL = 'sg-id';
export const ipPool = (scope: string): string => `ip/${scope}`;

/** Splits "a/<pool>/<value>"; pools may contain '/', values never do. */
export function parseAllocKey(key: string): { pool: string; value: string } {
  const i = key.lastIndexOf('/');
  return { pool: key.slice(2, i), value: key.slice(i + 1) };
}

/** Splits a two-segment key "<p>/<a>/<b>" into [a, b]. */
export function pairOf(key: string): [string, string] {
  const i = key.indexOf('/', 2);
  return [key.slice(2, i), key.slice(i + 1)];
}
