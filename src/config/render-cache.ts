// Serialized detail views of objects, kept until the object changes: a detail list of 10,000
// objects is then mostly string concatenation (controllers relist often; the original's answer
// was to page). Entries are dropped when the mirror applies a change to the object.
import { toWire } from '../vnc/wire.js';
import type { Mirror, StoredObject } from './mirror.js';
import { render } from './render.js';

export class RenderCache {
  readonly #mirror: Mirror;
  readonly #texts = new Map<string, { variant: string; text: string }>();

  constructor(mirror: Mirror) {
    this.#mirror = mirror;
    mirror.subscribe((batch) => {
      for (const ev of batch.events) {
        if (ev.key.startsWith('o/')) this.#texts.delete(ev.key.slice(ev.key.indexOf('/', 2) + 1));
      }
    });
    mirror.onReset(() => this.#texts.clear());
  }

  /** The cached detail text of an object, if it has not changed since it was rendered. */
  cached(uuid: string, base: string, excludeHrefs: boolean): string | undefined {
    const hit = this.#texts.get(uuid);
    return hit && hit.variant === (excludeHrefs ? '' : base) ? hit.text : undefined;
  }

  /** The wire JSON of an object's detail view (properties and refs, no back-refs or children). */
  detail(obj: StoredObject, base: string, excludeHrefs: boolean): string {
    const variant = excludeHrefs ? '' : base;
    const hit = this.#texts.get(obj.uuid);
    if (hit && hit.variant === variant) return hit.text;
    const text = toWire(JSON.stringify(render(this.#mirror, obj, { base, excludeHrefs })));
    this.#texts.set(obj.uuid, { variant, text });
    return text;
  }

  get size(): number {
    return this.#texts.size;
  }
}
