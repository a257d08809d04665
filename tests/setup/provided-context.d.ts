// Values vite.config.ts gives each Vitest project (`test.provide`), read with `inject`.
import 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** The React major this project runs the React tests on: 19 (root) or 18 (tests/react18). */
    reactMajor: number;
  }
}
