/** Options of {@link startOidcDemo}. */
export interface OidcDemoOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** The demo page's origins: redirect URIs `<origin>/`, CORS, the app API's DPoP `htu`. */
  demoOrigins: string[];
  /** Access-token lifetime in seconds. Default 60. */
  accessTtl?: number;
  /** Registers the confidential client `strata-demo-introspection` with this secret. */
  introspectionSecret?: string;
  /** Time of the app API and the login limit (epoch ms). Default Date.now. */
  clock?: () => number;
  /**
   * A node:http server already listening on 127.0.0.1 to serve on (`port` is then not used;
   * `close()` closes it): lets a caller bind its port before oidc-provider is imported.
   */
  server?: import('node:http').Server;
}

/** The running provider and app API. */
export interface OidcDemo {
  /** Where it listens, which is also the issuer. */
  url: string;
  issuer: string;
  close(): Promise<void>;
}

/** Starts the demo provider (oidc-provider), its login page and the app API on one port. */
export function startOidcDemo(options: OidcDemoOptions): Promise<OidcDemo>;
