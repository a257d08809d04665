import { StrataError } from '../errors.js';
import { bytesToBase64, base64ToBytes } from './base64.js';

/**
 * Values are stored as JSON text. Types JSON cannot express (Date, typed arrays, Map,
 * Set, non-finite numbers, -0) are written as tagged objects `{ "\u0000": tag, "v": … }`;
 * a user object that itself has a `"\u0000"` member is wrapped so it reads back intact.
 * Anything that cannot round-trip (functions, symbols, BigInt, cycles, class instances)
 * is refused with `UNSERIALIZABLE` before anything is written.
 */
const TAG = '\u0000';
const MAX_DEPTH = 1000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const TYPED_ARRAYS = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

/** Serialises a value to JSON text, or throws `UNSERIALIZABLE` naming the offending path. */
export function serialize(value: unknown, key?: string): string {
  if (value === undefined)
    throw unserializable('undefined cannot be stored (remove the key instead)', '', key);
  if (typeof value === 'string') return JSON.stringify(value);
  // Fast path: plain JSON data (the common case) needs no tagged copy, only a check.
  if (isPlainJson(value, 0)) return JSON.stringify(value);
  return JSON.stringify(toJson(value, '', 0, new Set(), key));
}

/**
 * True when `JSON.stringify(value)` already writes what {@link toJson} would: only
 * strings, booleans, finite numbers other than -0, null, arrays and plain objects without
 * a `"\u0000"` member, at most {@link MAX_DEPTH} deep (a cycle fails the depth check, and
 * the full path then names it).
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[])
      if (item !== undefined && !isPlainJson(item, depth + 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const name of Object.keys(value)) {
    const member: unknown = (value as Record<string, unknown>)[name];
    if (name === TAG || (member !== undefined && !isPlainJson(member, depth + 1))) return false;
  }
  return true;
}

/** Parses JSON text written by {@link serialize}. Throws on malformed text. */
export function deserialize(text: string): unknown {
  // Fast path: no tagged object can be present when the escape sequence is absent.
  if (!text.includes('\\u0000')) return JSON.parse(text);
  return fromJson(JSON.parse(text) as Json);
}

function toJson(
  value: unknown,
  path: string,
  depth: number,
  seen: Set<object>,
  key: string | undefined,
): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: 'n', v: String(value === 0 ? '-0' : value) };
    case 'object':
      break;
    default:
      throw unserializable(`${typeof value} cannot be stored`, path, key);
  }
  if (value === null) return null;
  if (depth > MAX_DEPTH) throw unserializable(`nesting deeper than ${MAX_DEPTH} levels`, path, key);
  if (seen.has(value)) throw unserializable('circular reference', path, key);
  if (value instanceof Date) {
    const time = value.getTime();
    return { [TAG]: 'D', v: Number.isNaN(time) ? 'NaN' : time };
  }
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (!(name in TYPED_ARRAYS)) throw unserializable(`${name} cannot be stored`, path, key);
    return {
      [TAG]: name,
      v: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)),
    };
  }
  if (value instanceof ArrayBuffer) return { [TAG]: 'AB', v: bytesToBase64(new Uint8Array(value)) };
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const out: Json[] = new Array<Json>(value.length);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        out[i] = item === undefined ? null : toJson(item, `${path}[${i}]`, depth + 1, seen, key);
      }
      return out;
    }
    if (value instanceof Map) {
      return {
        [TAG]: 'M',
        v: Array.from(value, ([k, v], i) => [
          toJson(k, `${path}<key ${i}>`, depth + 1, seen, key),
          toJson(v, `${path}<${i}>`, depth + 1, seen, key),
        ]),
      };
    }
    if (value instanceof Set) {
      return {
        [TAG]: 'S',
        v: Array.from(value, (v, i) => toJson(v, `${path}<${i}>`, depth + 1, seen, key)),
      };
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw unserializable(`${name} instances cannot be stored (store a plain object)`, path, key);
    }
    const out: { [key: string]: Json } = {};
    let tagged = false;
    for (const name of Object.keys(value)) {
      const member: unknown = (value as Record<string, unknown>)[name];
      if (member === undefined) continue;
      if (name === TAG) tagged = true;
      defineMember(out, name, toJson(member, `${path}.${name}`, depth + 1, seen, key));
    }
    return tagged ? { [TAG]: 'O', v: out } : out;
  } finally {
    seen.delete(value);
  }
}

function fromJson(json: Json): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(fromJson);
  const tag = json[TAG];
  if (typeof tag === 'string' && 'v' in json) {
    const v = json.v as Json;
    switch (tag) {
      case 'n':
        return Number(v);
      case 'D':
        return new Date(v === 'NaN' ? Number.NaN : (v as number));
      case 'AB':
        return base64ToBytes(v as string).buffer;
      case 'M':
        return new Map(
          (v as Json[][]).map(([k, val]) => [fromJson(k ?? null), fromJson(val ?? null)]),
        );
      case 'S':
        return new Set((v as Json[]).map(fromJson));
      case 'O':
        return plainObject(v as { [key: string]: Json });
      default:
        if (tag in TYPED_ARRAYS) {
          const bytes = base64ToBytes(v as string);
          const Ctor = TYPED_ARRAYS[tag as TypedArrayName];
          return new Ctor(
            bytes.buffer,
            bytes.byteOffset,
            bytes.byteLength / Ctor.BYTES_PER_ELEMENT,
          );
        }
    }
  }
  return plainObject(json);
}

function plainObject(json: { [key: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(json)) defineMember(out, name, fromJson(json[name] ?? null));
  return out;
}

/** Defines an own data property, so a `__proto__` member stays data and never becomes a prototype. */
function defineMember(target: object, name: string, value: unknown): void {
  if (name === '__proto__')
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else (target as Record<string, unknown>)[name] = value;
}

function unserializable(reason: string, path: string, key: string | undefined): StrataError {
  const where = path === '' ? 'the value' : `value${path}`;
  return new StrataError(
    'UNSERIALIZABLE',
    `Cannot store ${where}: ${reason}. Nothing was written.`,
    key === undefined ? undefined : { key },
  );
}
