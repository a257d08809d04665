import { inject } from 'vitest';
import { commands } from 'vitest/browser';
import { readmeBlock } from '../../readme/blocks.mjs';

/**
 * Runs README block `name` as written: read out of README.md (not copied), written as a module
 * under test-results/readme-run/ that also exports `names`, and imported, so the page runs
 * exactly the README's code. Returns the module's exports and a function removing the file.
 */
export async function runReadmeBlock<T>(
  name: string,
  names: string[],
): Promise<{ exports: T; remove: () => Promise<void> }> {
  const block = readmeBlock(await commands.readFile('README.md'), name);
  // The commands take paths from the project root; import() from this file.
  const file = `test-results/readme-run/${inject('engine')}-${name}.${block.lang}`;
  await commands.writeFile(file, `${block.code}\nexport { ${names.join(', ')} };\n`);
  const exports = (await import(/* @vite-ignore */ `../../../${file}?t=${Date.now()}`)) as T;
  return { exports, remove: () => commands.removeFile(file) };
}
