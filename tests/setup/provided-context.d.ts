// Values vite.config.ts gives each Vitest project (`test.provide`), read with `inject`.
import 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** The React major this project runs the React tests on: 19 (root) or 18 (tests/react18). */
    reactMajor: number;
    /** The browser engine of a browser project (unset in the Node projects). */
    engine: 'chromium' | 'firefox' | 'webkit';
    /** Whether the browser runs in private browsing (Firefox) or an ephemeral session (WebKit). */
    privateMode: boolean;
  }
}
