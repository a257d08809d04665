// Values the Vitest globalSetup files provide to tests (read with `inject` from 'vitest').
declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the reference auth server started by tests/setup/auth-server.global.ts. */
    authServerUrl: string;
  }
}

export {};
