// The reference HTTP auth server of strata-storage's demo and tests: login, refresh-token
// rotation with reuse detection, logout, /api/me, session sync, analytics, and (opt-in)
// test controls. Plain node:http; ES256 JWTs via `jose`. Types: auth-server.d.mts.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { applyCors, bearerToken, HttpError, originSet, readJson, sendJson } from './http.mjs';
import { createJwtSigner } from './jwt.mjs';
import { LoginLimiter } from './login-limit.mjs';
import { randomId, RefreshStore } from './refresh-store.mjs';
import { serveStatic } from './static.mjs';
import { StatsBook } from './stats.mjs';

/** Roles and permissions of users created on the fly with test controls on. */
const AUTO_ROLES = ['user'];
const AUTO_PERMISSIONS = ['cart:write', 'profile:read'];
/** The password that logs any username in when test controls are on. */
const AUTO_PASSWORD = 'password';
const MAX_TTL_SECONDS = 365 * 24 * 60 * 60;
const MAX_EVENTS_PER_REQUEST = 1000;
const MAX_STORED_EVENTS = 10_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The default users: alice, for the demo only (her password is public). No admin unless the
 * `users` option adds one.
 * @type {import('./auth-server.d.mts').AuthUser[]}
 */
export const DEMO_USERS = [
  {
    id: 'u-alice',
    username: 'alice',
    password: 'password',
    name: 'Alice Example',
    email: 'alice@example.com',
    roles: ['user'],
    permissions: ['cart:write', 'profile:read'],
  },
];

/** @type {Required<import('./auth-server.d.mts').LoginLimitOptions>} */
export const LOGIN_LIMIT = { perUsername: 5, perAddress: 20, windowMs: 60_000 };

/**
 * The origins of the server's own pages: its URL, and on loopback (or every interface) the
 * same port under each loopback name (a page opened as localhost is another origin than 127.0.0.1).
 * @param {string} host
 * @param {number} port
 */
function ownOrigins(host, port) {
  const bare = host.replace(/^\[|\]$/g, '');
  const everywhere = bare === '0.0.0.0' || bare === '::';
  const names = everywhere || LOOPBACK_HOSTS.has(bare) ? [...LOOPBACK_HOSTS] : [bare];
  return names.map((name) => `http://${name.includes(':') ? `[${name}]` : name}:${port}`);
}

const invalidGrant = () => new HttpError(401, { error: 'invalid_grant' });
const invalidToken = () => new HttpError(401, { error: 'invalid_token' });
const badRequest = (/** @type {string} */ message) =>
  new HttpError(400, { error: 'invalid_request', message });

/**
 * Starts the auth server. See auth-server.d.mts for the options and endpoints.
 * @param {import('./auth-server.d.mts').AuthServerOptions} [options]
 * @returns {Promise<import('./auth-server.d.mts').AuthServer>}
 */
export async function createAuthServer(options = {}) {
  const {
    port = 0,
    host = '127.0.0.1',
    accessTtl = 900,
    refreshTtl = 86_400,
    rememberRefreshTtl = 30 * 86_400,
    clock = Date.now,
    staticDir,
    testControls = false,
    users: initialUsers = DEMO_USERS,
    allowedOrigins = [],
    loginLimit = {},
    log = false,
  } = options;
  // Parsed before listening so a bad entry fails the start, not the first request.
  const allowed = originSet(typeof allowedOrigins === 'function' ? [] : allowedOrigins);
  const isAllowed = (/** @type {string} */ origin) =>
    allowed.has(origin) || (typeof allowedOrigins === 'function' && allowedOrigins(origin));
  const limiter = new LoginLimiter({ ...LOGIN_LIMIT, ...loginLimit, clock });
  const writeLog =
    typeof log === 'function'
      ? log
      : log
        ? (/** @type {string} */ line) => console.log(line)
        : undefined;

  const signer = await createJwtSigner(clock);
  const store = new RefreshStore();
  const stats = new StatsBook();
  /** @type {Map<string, import('./auth-server.d.mts').AuthUser>} */
  const users = new Map();
  /** @type {Map<string, import('./auth-server.d.mts').AuthUser>} */
  const usersById = new Map();
  const addUser = (/** @type {import('./auth-server.d.mts').AuthUser} */ user) => {
    const copy = { ...user, roles: [...user.roles], permissions: [...user.permissions] };
    users.set(copy.username, copy);
    usersById.set(copy.id, copy);
    return copy;
  };
  for (const user of initialUsers) addUser(user);

  /** Test controls: pending failures and delays of refreshes, per username. */
  /** @type {Map<string, { count: number, status: number, error?: string | null }>} */
  const failNext = new Map();
  /** @type {Map<string, number>} */
  const refreshDelays = new Map();
  let analyticsOffline = false;
  /** @type {Array<{ username: string | undefined, sessionId: unknown, event: unknown }>} */
  const events = [];
  /** Pending refresh delays, released on close. */
  /** @type {Set<{ resolve: () => void, timer: NodeJS.Timeout }>} */
  const sleeps = new Set();

  const sleep = (/** @type {number} */ ms) =>
    new Promise(
      /** @param {(value?: unknown) => void} resolve */ (resolve) => {
        const entry = {
          resolve,
          timer: setTimeout(() => {
            sleeps.delete(entry);
            resolve();
          }, ms),
        };
        sleeps.add(entry);
      },
    );

  const publicUser = (/** @type {import('./auth-server.d.mts').AuthUser} */ user) => ({
    id: user.id,
    name: user.name,
    email: user.email,
    roles: [...user.roles],
    permissions: [...user.permissions],
  });

  /**
   * @param {import('./auth-server.d.mts').AuthUser} user
   * @param {import('./refresh-store.mjs').Family} family
   */
  async function issueTokens(user, family) {
    const refreshToken = store.issue(family, clock());
    const [accessToken, idToken] = await Promise.all([
      signer.accessToken(user, family.id, family.accessTtl),
      signer.idToken(user, family.accessTtl),
    ]);
    return {
      accessToken,
      refreshToken,
      idToken,
      expiresIn: family.accessTtl,
      refreshExpiresIn: family.refreshTtl,
      tokenType: 'Bearer',
    };
  }

  /**
   * The access-TTL override of a login/refresh body (test controls only), or undefined.
   * @param {Record<string, unknown>} body
   */
  function ttlOverride(body) {
    if (!testControls || body.accessTtl === undefined) return undefined;
    const ttl = body.accessTtl;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)
      throw badRequest('accessTtl must be a number of seconds (>= 1).');
    return ttl;
  }

  /**
   * The verified access-token claims and user of the request, or undefined (counted in `counter`).
   * @param {import('node:http').IncomingMessage} req
   * @param {'meRequests' | 'syncRequests'} [counter]
   */
  async function authenticate(req, counter) {
    const token = bearerToken(req);
    const result = token === undefined ? { ok: false } : await signer.verify(token);
    const user =
      typeof result.payload?.sub === 'string' ? usersById.get(result.payload.sub) : undefined;
    if (counter) stats.count(user?.username, counter);
    if (!result.ok || !user) return undefined;
    const family = store.family(String(result.payload.sid));
    if (!family || family.revoked) return undefined;
    return { user, claims: result.payload };
  }

  /** @param {Record<string, unknown>} body */
  function requireUsername(body) {
    if (typeof body.username !== 'string' || body.username === '')
      throw badRequest('username is required.');
    return body.username;
  }

  /** Compares passwords in constant time. @param {string} expected @param {string} given */
  function passwordMatches(expected, given) {
    const a = createHash('sha256').update(expected).digest();
    const b = createHash('sha256').update(given).digest();
    return timingSafeEqual(a, b);
  }

  /** @type {Record<string, Record<string, (req: import('node:http').IncomingMessage, url: URL) => Promise<{ status: number, body?: unknown }>>>} */
  const routes = {
    '/.well-known/jwks.json': {
      GET: async () => ({ status: 200, body: signer.jwks() }),
    },

    '/api/auth/login': {
      POST: async (req) => {
        const body = await readJson(req);
        const { username, password } = body;
        if (
          typeof username !== 'string' ||
          typeof password !== 'string' ||
          username === '' ||
          username.length > 200
        ) {
          throw badRequest('username and password are required strings.');
        }
        const ttl = ttlOverride(body);
        const address = req.socket.remoteAddress ?? '';
        const wait = limiter.retryAfter(username, address);
        if (wait > 0) {
          const seconds = String(Math.ceil(wait / 1000));
          throw new HttpError(429, { error: 'too_many_attempts' }, { 'Retry-After': seconds });
        }
        let user = users.get(username);
        if (!user && testControls && password === AUTO_PASSWORD) {
          user = addUser({
            id: `u-${randomId(9)}`,
            username,
            password,
            name: username,
            email: `${username}@example.test`,
            roles: AUTO_ROLES,
            permissions: AUTO_PERMISSIONS,
          });
        }
        if (!user || !passwordMatches(user.password, password)) {
          limiter.failed(username, address);
          throw new HttpError(401, { error: 'invalid_credentials' });
        }
        limiter.succeeded(username);
        const family = store.createFamily({
          username,
          accessTtl: ttl ?? accessTtl,
          refreshTtl: body.rememberMe === true ? rememberRefreshTtl : refreshTtl,
        });
        stats.count(username, 'logins');
        return {
          status: 200,
          body: { user: publicUser(user), tokens: await issueTokens(user, family) },
        };
      },
    },

    '/api/auth/refresh': {
      POST: async (req) => {
        const body = await readJson(req);
        const ttl = ttlOverride(body);
        const found = store.find(body.refreshToken);
        const username = found?.family.username;
        stats.count(username, 'refreshRequests');
        if (username !== undefined) {
          const delay = refreshDelays.get(username);
          if (delay) await sleep(delay);
          const failure = failNext.get(username);
          if (failure) {
            if (--failure.count <= 0) failNext.delete(username);
            const error =
              failure.error !== undefined
                ? failure.error
                : failure.status === 400 || failure.status === 401
                  ? 'invalid_grant'
                  : 'unavailable';
            throw new HttpError(failure.status, error === null ? {} : { error });
          }
        }
        if (!found) throw invalidGrant();
        // From here to issueTokens' store.issue everything is synchronous: rotation is atomic.
        const { record, family } = found;
        if (record.used) {
          stats.count(username, 'reuseDetected');
          if (store.revoke(family)) stats.count(username, 'revokedFamilies');
          throw new HttpError(401, { error: 'invalid_grant', reason: 'reuse_detected' });
        }
        const user = users.get(family.username);
        if (family.revoked || record.expiresAt <= clock() || !user) throw invalidGrant();
        record.used = true;
        if (ttl !== undefined) family.accessTtl = ttl;
        const tokens = await issueTokens(user, family);
        stats.refreshed(family.username, clock());
        return { status: 200, body: { user: publicUser(user), tokens } };
      },
    },

    '/api/auth/logout': {
      POST: async (req) => {
        const body = await readJson(req);
        const found = store.find(body.refreshToken);
        if (found && store.revoke(found.family))
          stats.count(found.family.username, 'revokedFamilies');
        return { status: 204 };
      },
    },

    '/api/me': {
      GET: async (req) => {
        const auth = await authenticate(req, 'meRequests');
        if (!auth) throw invalidToken();
        return { status: 200, body: { user: publicUser(auth.user) } };
      },
    },

    '/api/session/sync': {
      POST: async (req) => {
        const auth = await authenticate(req, 'syncRequests');
        if (!auth) throw invalidToken();
        const body = await readJson(req);
        if (
          body.session === null ||
          typeof body.session !== 'object' ||
          Array.isArray(body.session)
        ) {
          throw badRequest('session must be an object.');
        }
        const { user } = auth;
        return {
          status: 200,
          body: {
            session: {
              user: publicUser(user),
              roles: [...user.roles],
              permissions: [...user.permissions],
              serverTime: clock(),
            },
          },
        };
      },
    },

    '/api/analytics': {
      POST: async (req) => {
        const body = await readJson(req);
        if (analyticsOffline) throw new HttpError(503, { error: 'unavailable' });
        if (!Array.isArray(body.events) || body.events.length > MAX_EVENTS_PER_REQUEST) {
          throw badRequest(`events must be an array of at most ${MAX_EVENTS_PER_REQUEST}.`);
        }
        const auth = bearerToken(req) === undefined ? undefined : await authenticate(req);
        for (const event of body.events) {
          const fields = event !== null && typeof event === 'object' ? event : {};
          const userId = fields.userId ?? body.userId;
          const username =
            auth?.user.username ??
            (typeof userId === 'string' ? usersById.get(userId)?.username : undefined);
          events.push({ username, sessionId: fields.sessionId ?? body.sessionId, event });
          stats.count(username, 'analyticsEvents');
        }
        if (events.length > MAX_STORED_EVENTS) events.splice(0, events.length - MAX_STORED_EVENTS);
        return { status: 200, body: { received: body.events.length } };
      },
    },
  };

  /** @type {typeof routes} */
  const testRoutes = {
    '/api/test/stats': {
      GET: async (_req, url) => ({
        status: 200,
        body: stats.get(url.searchParams.get('username') ?? undefined),
      }),
    },
    '/api/test/fail-next-refresh': {
      POST: async (req) => {
        const body = await readJson(req);
        const username = requireUsername(body);
        const count = body.count ?? 1;
        const status = body.status ?? 503;
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
          throw badRequest('count must be a non-negative integer.');
        const error = body.error;
        if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)
          throw badRequest('status must be an HTTP error status.');
        if (
          error !== undefined &&
          error !== null &&
          (typeof error !== 'string' || !/^[a-z_]{1,40}$/.test(error))
        )
          throw badRequest(
            'error must be an OAuth error code (a-z and _), or null for a body without one.',
          );
        if (count === 0) failNext.delete(username);
        else failNext.set(username, { count, status, error });
        return { status: 204 };
      },
    },
    '/api/test/refresh-delay': {
      POST: async (req) => {
        const body = await readJson(req);
        const username = requireUsername(body);
        const ms = body.ms;
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 60_000)
          throw badRequest('ms must be a number of milliseconds (0..60000).');
        if (ms === 0) refreshDelays.delete(username);
        else refreshDelays.set(username, ms);
        return { status: 204 };
      },
    },
    '/api/test/revoke': {
      POST: async (req) => {
        const username = requireUsername(await readJson(req));
        const revoked = store.revokeUser(username);
        stats.count(username, 'revokedFamilies', revoked);
        return { status: 200, body: { revoked } };
      },
    },
    '/api/test/analytics': {
      GET: async (_req, url) => {
        const sessionId = url.searchParams.get('sessionId');
        const username = url.searchParams.get('username');
        const matching = events.filter(
          (entry) =>
            (sessionId === null || entry.sessionId === sessionId) &&
            (username === null || entry.username === username),
        );
        return { status: 200, body: { events: matching.map((entry) => entry.event) } };
      },
    },
    '/api/test/offline': {
      POST: async (req) => {
        const body = await readJson(req);
        if (typeof body.offline !== 'boolean') throw badRequest('offline must be a boolean.');
        analyticsOffline = body.offline;
        return { status: 204 };
      },
    },
  };
  if (testControls) Object.assign(routes, testRoutes);

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isApi =
      url.pathname.startsWith('/api/') ||
      url.pathname === '/api' ||
      url.pathname.startsWith('/.well-known/');
    // A foreign page never reaches a route: its request could carry a password or a refresh token.
    if (!applyCors(req, res, isAllowed) && (isApi || req.method === 'OPTIONS')) {
      sendJson(res, 403, { error: 'origin_not_allowed' });
      return;
    }
    if (req.method === 'OPTIONS') {
      sendJson(res, 204);
      return;
    }
    if (!isApi && staticDir !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      await serveStatic(staticDir, url.pathname, req, res);
      return;
    }
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (!route) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const method = req.method ?? '';
    const handler = Object.hasOwn(route, method) ? route[method] : undefined;
    if (!handler) {
      res.setHeader('Allow', [...Object.keys(route), 'OPTIONS'].join(', '));
      sendJson(res, 405, { error: 'method_not_allowed' });
      return;
    }
    const { status, body } = await handler(req, url);
    sendJson(res, status, body);
  }

  const server = createServer((req, res) => {
    if (writeLog) {
      const path = (req.url ?? '/').split('?')[0];
      res.on('finish', () => writeLog(`${req.method} ${path} ${res.statusCode}`));
    }
    handle(req, res).catch((error) => {
      if (error instanceof HttpError) sendJson(res, error.status, error.body, error.headers);
      else sendJson(res, 500, { error: 'server_error' });
    });
  });

  await new Promise(
    /** @param {(value?: unknown) => void} resolve @param {(error: Error) => void} reject */ (
      resolve,
      reject,
    ) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    },
  );
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  for (const origin of ownOrigins(host, actualPort)) allowed.add(origin);

  return {
    url,
    port: actualPort,
    stats: (username) => stats.get(username),
    close: () =>
      new Promise(
        /** @param {(value?: void) => void} resolve @param {(error: Error) => void} reject */ (
          resolve,
          reject,
        ) => {
          for (const entry of sleeps) {
            clearTimeout(entry.timer);
            entry.resolve();
          }
          sleeps.clear();
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
          store.clear();
        },
      ),
  };
}
