// Values tests/setup/oidc-provider.global.ts provides to tests (read with `inject` from 'vitest').
declare module 'vitest' {
  export interface ProvidedContext {
    /** Issuer URL of the oidc-provider instance (also the base of its `/test/` helpers). */
    oidcIssuer: string;
    /** Base URL (with a trailing slash) of the resource server that checks tokens and DPoP proofs. */
    resourceServerUrl: string;
  }
}

export {};
