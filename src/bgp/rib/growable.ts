// Typed arrays that grow without leaving garbage behind. A grown plain typed array leaves its old backing
// store for the next full GC, which for a table of a million routes means tens of MB of dead arrays in the
// peak RSS. Past a threshold an array moves once into a resizable ArrayBuffer (ES2024) and then grows in
// place: pages are committed as touched, nothing is copied or left behind. Small tables (most VRF tables)
// never reserve address space.

type TypedArray = Int32Array | Uint32Array | Uint8Array;
type Ctor<T extends TypedArray> = new (b: ArrayBuffer) => T;

interface ResizableBuffer extends ArrayBuffer {
  readonly resizable: boolean;
  readonly maxByteLength: number;
  resize(n: number): void;
}

const RESIZABLE_FROM = 1 << 18; // bytes
const MAX_BYTES = 2 ** 31; // address space reserved per large array (not memory)

const ResizableArrayBuffer = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ResizableBuffer;

let resizableWorks: boolean | undefined;
function canResize(): boolean {
  if (resizableWorks === undefined) {
    try {
      const b = new ResizableArrayBuffer(8, { maxByteLength: 16 });
      b.resize(16);
      resizableWorks = b.byteLength === 16;
    } catch {
      resizableWorks = false;
    }
  }
  return resizableWorks;
}

/** The array with room for n elements (same contents, zeros after). May return the same object. */
export function grow<T extends TypedArray>(a: T, n: number, make: (n: number) => T): T {
  const bytes = n * a.BYTES_PER_ELEMENT;
  const buf = a.buffer as ResizableBuffer;
  if (buf.resizable && bytes <= buf.maxByteLength) {
    buf.resize(bytes);
    return a;
  }
  if (bytes >= RESIZABLE_FROM && bytes <= MAX_BYTES && canResize()) {
    const nb = new ResizableArrayBuffer(bytes, { maxByteLength: MAX_BYTES });
    const t = new (a.constructor as Ctor<T>)(nb); // length-tracking view: follows resize()
    t.set(a);
    return t;
  }
  const t = make(n);
  t.set(a);
  return t;
}
