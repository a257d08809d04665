import { StrataError } from './errors.js';

/** Longest key accepted, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 4096;

/** Throws `INVALID_KEY` unless `key` is a non-empty string of at most {@link MAX_KEY_LENGTH}. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string')
    throw new StrataError('INVALID_KEY', `Keys are strings; got ${typeof key}.`);
  if (key.length === 0) throw new StrataError('INVALID_KEY', 'Keys cannot be empty.');
  if (key.length > MAX_KEY_LENGTH)
    throw new StrataError(
      'INVALID_KEY',
      `Keys are at most ${MAX_KEY_LENGTH} characters; got ${key.length}.`,
    );
}

/**
 * A compiled key pattern. `'session:'` matches keys that start with it; a pattern with a
 * `*` is a glob (`*` is any run of characters, `\*` a literal star); no pattern matches all.
 */
export interface KeyPattern {
  /** The literal prefix every match starts with: adapters narrow their scans with it. */
  readonly prefix: string;
  matches(key: string): boolean;
}

/** Compiles a pattern as `keys()` and `subscribe()` read it. */
export function compilePattern(pattern?: string): KeyPattern {
  if (pattern === undefined || pattern === '') return { prefix: '', matches: () => true };
  if (typeof pattern !== 'string')
    throw new StrataError('INVALID_OPTIONS', `A key pattern is a string; got ${typeof pattern}.`);
  const parts = splitGlob(pattern);
  if (parts.length === 1) {
    const prefix = parts[0] ?? '';
    return { prefix, matches: (key) => key.startsWith(prefix) };
  }
  const prefix = parts[0] ?? '';
  const source = parts.map(escapeRegExp).join('[\\s\\S]*');
  const regex = new RegExp(`^${source}$`);
  return { prefix, matches: (key) => key.startsWith(prefix) && regex.test(key) };
}

/** Splits a glob at unescaped `*`, unescaping `\*` and `\\`. */
function splitGlob(pattern: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      current += pattern[++i];
    } else if (char === '*') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
