/** A user the auth server knows. */
export interface AuthUser {
  id: string;
  username: string;
  password: string;
  name: string;
  email?: string;
  roles: string[];
  permissions: string[];
}

/** Options of {@link createAuthServer}. */
export interface AuthServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Access-token lifetime in seconds. Default 900. */
  accessTtl?: number;
  /** Refresh-token lifetime in seconds. Default 86400. */
  refreshTtl?: number;
  /** Refresh-token lifetime in seconds with `rememberMe: true` at login. Default 30 days. */
  rememberRefreshTtl?: number;
  /** The server clock (epoch ms), used for token iat/exp and every expiry check. Default Date.now. */
  clock?: () => number;
  /** Serves this directory for GET/HEAD of non-/api paths, falling back to index.html. */
  staticDir?: string;
  /** Enables /api/test/*, auto-created users (any username, password 'password') and `accessTtl` in login/refresh bodies. Default false. */
  testControls?: boolean;
  /** Known users. Default: the demo-only alice/password (see DEMO_USERS); no admin. */
  users?: AuthUser[];
  /**
   * Origins whose pages may call the server (CORS with credentials), besides its own origin
   * (its URL; on loopback, its port under 127.0.0.1, localhost and [::1]). Default: none.
   * A request from any other Origin gets no CORS header and `403 {error:'origin_not_allowed'}`.
   * A function decides per request, for a caller that learns its page's origin only after the
   * start (e.g. a test runner's page server); it receives the Origin header exactly as sent.
   */
  allowedOrigins?: string[] | ((origin: string) => boolean);
  /** Limits failed logins; over a limit, logins answer 429 with Retry-After. Default: {@link LOGIN_LIMIT}. */
  loginLimit?: LoginLimitOptions;
  /** Logs `METHOD /path STATUS` per request (never a token, never the query); a function receives the lines. */
  log?: boolean | ((line: string) => void);
}

/** Failed logins allowed within `windowMs` (sliding, on the server clock) before logins answer 429. */
export interface LoginLimitOptions {
  /** Failures per username (known or not). Default 5. */
  perUsername?: number;
  /** Failures per client address (the socket's; X-Forwarded-For is not trusted). Default 20. */
  perAddress?: number;
  /** Default 60000 (one minute). */
  windowMs?: number;
}

/** Request counters of one user, or in total. */
export interface Stats {
  logins: number;
  /** Refresh requests received (attributed by the presented token's family). */
  refreshRequests: number;
  /** Successful refreshes (rotations). */
  refreshes: number;
  /** Presentations of an already rotated refresh token. */
  reuseDetected: number;
  /** Token families revoked (logout, reuse, test revoke). */
  revokedFamilies: number;
  meRequests: number;
  syncRequests: number;
  analyticsEvents: number;
  /** Server-clock time (epoch ms) of the last successful refresh, or null. */
  lastRefreshAt: number | null;
}

/** A running auth server. */
export interface AuthServer {
  /** Base URL, e.g. http://127.0.0.1:5184 (no trailing slash). */
  url: string;
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
  /** Counters of `username`, or totals without one. */
  stats(username?: string): Stats;
}

/** The default users: alice/password (user), for the demo only. */
export declare const DEMO_USERS: AuthUser[];

/** The default login limit: 5 failures per username, 20 per address, per minute. */
export declare const LOGIN_LIMIT: Required<LoginLimitOptions>;

/** Starts the reference auth server. */
export declare function createAuthServer(options?: AuthServerOptions): Promise<AuthServer>;
