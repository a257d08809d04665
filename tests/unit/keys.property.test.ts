import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertKey, compilePattern, MAX_KEY_LENGTH } from '../../src/keys.js';

/**
 * Reference glob matcher: a straightforward dynamic programme over the pattern tokens
 * (`*` any run, `\*` and `\\` literal, every other character literal). A pattern without
 * an unescaped star is a prefix.
 */
function referenceMatches(pattern: string, key: string): boolean {
  const tokens: Array<{ star: true } | { star: false; char: string }> = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\'))
      tokens.push({ star: false, char: pattern[++i] as string });
    else if (c === '*') tokens.push({ star: true });
    else tokens.push({ star: false, char: c });
  }
  if (!tokens.some((t) => t.star))
    return key.startsWith(tokens.map((t) => (t.star ? '' : t.char)).join(''));
  // dp[j] = tokens[0..i) match key[0..j)
  let dp = new Array<boolean>(key.length + 1).fill(false);
  dp[0] = true;
  for (const token of tokens) {
    const next = new Array<boolean>(key.length + 1).fill(false);
    for (let j = 0; j <= key.length; j++) {
      if (token.star) next[j] = (dp[j] ?? false) || (j > 0 && (next[j - 1] ?? false));
      else next[j] = j > 0 && (dp[j - 1] ?? false) && key[j - 1] === token.char;
    }
    dp = next;
  }
  return dp[key.length] ?? false;
}

/** Keys and patterns over a small alphabet with the glob's special characters, so matches are frequent. */
const alphabet = fc.constantFrom('a', 'b', ':', '*', '\\', '.', '(', '$', '🗝', '\u0000');
const text = (max: number) => fc.array(alphabet, { maxLength: max }).map((chars) => chars.join(''));

describe('key patterns (property)', () => {
  it('compilePattern agrees with a reference glob matcher', () => {
    fc.assert(
      fc.property(text(8), text(12), (pattern, key) => {
        expect(compilePattern(pattern).matches(key)).toBe(
          pattern === '' ? true : referenceMatches(pattern, key),
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('every match starts with the compiled literal prefix (adapters may narrow scans by it)', () => {
    fc.assert(
      fc.property(text(8), text(12), (pattern, key) => {
        const compiled = compilePattern(pattern);
        if (compiled.matches(key)) expect(key.startsWith(compiled.prefix)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('an escaped pattern matches exactly the keys starting with the literal text', () => {
    fc.assert(
      fc.property(text(8), text(12), (literal, rest) => {
        const escaped = literal.replace(/[\\*]/g, (c) => `\\${c}`);
        expect(compilePattern(escaped).matches(literal + rest)).toBe(true);
      }),
    );
  });

  it('assertKey accepts exactly the non-empty strings up to the limit', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 20 }),
          fc.anything(),
          fc
            .integer({ min: MAX_KEY_LENGTH - 2, max: MAX_KEY_LENGTH + 2 })
            .map((n) => 'k'.repeat(n)),
        ),
        (key) => {
          const ok = typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH;
          if (ok) expect(() => assertKey(key)).not.toThrow();
          else
            expect(() => assertKey(key)).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
