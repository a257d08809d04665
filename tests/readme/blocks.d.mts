/** A ts/tsx block of README.md. */
export interface ReadmeBlock {
  /** From a `<!-- readme-block: name -->` line right above the fence. */
  name: string | undefined;
  lang: 'ts' | 'tsx';
  /** The README line of the block's first line of code (1-based). */
  line: number;
  code: string;
}
export function readmeBlocks(markdown: string): ReadmeBlock[];
export function readmeBlock(markdown: string, name: string): ReadmeBlock;
