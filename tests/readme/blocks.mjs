// The TypeScript blocks of README.md (```ts and ```tsx fences), each with its first line in the
// README and the name a `<!-- readme-block: name -->` line right above it gives it, shared by
// the compile check (check.mjs) and the browser test that runs the quick starts
// (tests/browser/readme/quick-starts.test.ts).

/** Every ts/tsx block of `markdown`, in order. */
export function readmeBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|tsx)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: a \`\`\`${open[1]} block is never closed`);
    const name = /^<!-- readme-block: ([\w-]+) -->$/.exec(lines[i - 1] ?? '')?.[1];
    blocks.push({
      name,
      lang: open[1],
      line: i + 2,
      code: lines.slice(i + 1, end).join('\n'),
    });
    i = end;
  }
  return blocks;
}

/** The block named `name`; throws when the README has none. */
export function readmeBlock(markdown, name) {
  const block = readmeBlocks(markdown).find((b) => b.name === name);
  if (!block) throw new Error(`README.md has no block marked <!-- readme-block: ${name} -->`);
  return block;
}
