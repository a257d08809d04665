// Vitest globalSetup: an unmodified oidc-provider (an OpenID-certified authorization server) on
// 127.0.0.1, a resource server that checks its access tokens and DPoP proofs with jose, and
// test-only helpers. Provides `oidcIssuer` and `resourceServerUrl` to the tests. The Playwright
// multi-tab specs start the same servers through `startOidcServers`
// (tests/e2e/harness/oauth-provider.global.ts).
//
// The provider: public clients (token_endpoint_auth_method 'none', PKCE required) whose redirect
// URI is the Vitest page's `<origin>/callback` (CORS admits exactly those origins), refresh
// token rotation without grace (a spent token is refused and revokes the grant), revocation and
// introspection, DPoP (nonces required for `strata-spa-dpop`), JWT access tokens of 30 s for the
// resource server (`strata-spa-short`: a few seconds, for proactive refresh in real time), one
// account `alice` / `password`. `POST /test/grant-stats` counts each grant's refreshes and
// refused reuses of a rotated token, as the provider reports them in its events.
//
// The sign-in interaction: the test page cannot navigate away, so `POST /test/authorize` plays
// the user's browser from Node: it requests the authorization URL the page built (PKCE, state,
// nonce), answers the provider's login prompt with the credentials given and its consent prompt,
// following the provider's redirects with its cookies, and hands back the redirect to the page's
// redirect URI (code, state, iss) without following it. Nothing in the provider is bypassed.
//
// `/evil/<variant>/<nonce>/token` is a token endpoint that answers id_tokens that are wrong in
// one way each (signed with the provider's own key where the variant is not about the signature):
// the only way to prove that the client refuses them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  EmbeddedJWK,
  SignJWT,
  base64url,
  calculateJwkThumbprint,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { TestProject } from 'vitest/node';

/** An issuer path whose metadata exists only at RFC 8414's well-known URL (not OIDC's). */
const RFC8414_PATH = '/rfc8414';
/** The public client of the sign-in tests. */
export const CLIENT_ID = 'strata-spa';
/** A public client whose tokens are DPoP-bound and whose token requests need a DPoP nonce. */
export const DPOP_CLIENT_ID = 'strata-spa-dpop';
/** A confidential client the helpers introspect with (a resource server's registration). */
const RS_CLIENT = { id: 'strata-rs', secret: randomBytes(24).toString('base64url') };
const ACCESS_TOKEN_TTL = 30;
/** A public client whose access tokens live {@link OidcServerOptions.shortAccessTtl} seconds. */
export const SHORT_CLIENT_ID = 'strata-spa-short';
/** The description oidc-provider gives the `invalid_grant` of a rotated (spent) refresh token. */
const REUSE = 'refresh token already used';

interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: GrantClass;
}
interface InteractionDetails {
  uid: string;
  grantId?: string;
  params: Record<string, unknown>;
  prompt: { name: string; details: Record<string, unknown> };
  session?: { accountId?: string };
}
interface GrantClass {
  new (fields: { accountId: string; clientId: string }): Grant;
  find(id: string): Promise<Grant | undefined>;
}
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

/** Options of {@link startOidcServers}. */
export interface OidcServerOptions {
  /** Port of the provider; default 0 (any free port). */
  port?: number;
  /** Port of the resource server; default 0 (any free port). */
  resourcePort?: number;
  /** Access-token lifetime of `strata-spa-short` in seconds. Default 6. */
  shortAccessTtl?: number;
}

/** The running servers of {@link startOidcServers}. */
export interface OidcServers {
  issuer: string;
  /** With a trailing slash. */
  resourceServerUrl: string;
  close(): Promise<void>;
}

/** Starts the servers; the returned function stops them after the run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await startOidcServers();
  project.provide('oidcIssuer', servers.issuer);
  project.provide('resourceServerUrl', servers.resourceServerUrl);
  return () => servers.close();
}

/** Per grant: refresh grants the provider answered, and refused reuses of a spent token. */
interface GrantStats {
  refreshes: number;
  reuse: number;
  errors: Record<string, number>;
}

/** Starts the provider and the resource server on 127.0.0.1. */
export async function startOidcServers(options: OidcServerOptions = {}): Promise<OidcServers> {
  const providerServer = createServer();
  const resourceServer = createServer();
  const issuer = await listen(providerServer, options.port);
  const rsUrl = `${await listen(resourceServer, options.resourcePort)}/`;
  const shortTtl = options.shortAccessTtl ?? 6;

  const signing = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const privateJwk = { ...(await exportJWK(signing.privateKey)), kid, alg: 'RS256', use: 'sig' };

  const { default: Provider, errors } = (await import('oidc-provider' as string)) as {
    default: new (
      issuer: string,
      configuration: Record<string, unknown>,
    ) => OidcProvider & EventSource;
    errors: { InvalidTarget: new () => Error };
  };
  const spa = (clientId: string, extra: Record<string, unknown> = {}) => ({
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    // The Vitest page is served on a loopback port known only once it runs: a loopback redirect
    // URI of a native client matches on any port (RFC 8252 §7.3), which oidc-provider implements.
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
    ...extra,
  });
  const provider = new Provider(issuer, {
    clients: [
      spa(CLIENT_ID),
      spa(DPOP_CLIENT_ID, { dpop_bound_access_tokens: true }),
      spa(SHORT_CLIENT_ID),
      {
        client_id: RS_CLIENT.id,
        client_secret: RS_CLIENT.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // CORS for exactly the origins a client may be redirected to: the Vitest page's.
    clientBasedCORS: (
      _ctx: unknown,
      origin: string,
      client: { redirectUriAllowed(uri: string): boolean },
    ) => client.redirectUriAllowed(`${origin}/callback`),
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    findAccount: (_ctx: unknown, id: string) =>
      id === 'alice'
        ? {
            accountId: 'alice',
            claims: () => ({ sub: 'alice', name: 'Alice', email: 'alice@example.test' }),
          }
        : undefined,
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    ttl: {
      // Applies over the resource server's accessTokenTTL (as a number would too).
      AccessToken: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        client.clientId === SHORT_CLIENT_ID ? shortTtl : ACCESS_TOKEN_TTL,
      IdToken: 3600,
      RefreshToken: 86_400,
      Grant: 86_400,
      Interaction: 600,
      Session: 86_400,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        requireNonce: (ctx: { oidc?: { client?: { clientId?: string } } }) =>
          ctx.oidc?.client?.clientId === DPOP_CLIENT_ID,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => rsUrl,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== rsUrl) throw new errors.InvalidTarget();
          return {
            scope: 'api:read',
            audience: rsUrl,
            accessTokenTTL: ACCESS_TOKEN_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  const providerCallback = provider.callback();
  const stats = grantStats(provider);

  providerServer.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const route = (): Promise<void> | void => {
      if (url.pathname.startsWith('/interaction/')) return interaction(provider, req, res, url);
      if (url.pathname === `/.well-known/oauth-authorization-server${RFC8414_PATH}`)
        return rfc8414Metadata(issuer, res);
      if (url.pathname.startsWith('/test/') || url.pathname.startsWith('/evil/')) {
        cors(req, res, '*');
        if (req.method === 'OPTIONS') return void res.writeHead(204).end();
        if (url.pathname === '/test/authorize') return testAuthorize(issuer, req, res);
        if (url.pathname === '/test/introspect') return testIntrospect(issuer, req, res);
        if (url.pathname === '/test/grant-stats') return stats(req, res);
        if (url.pathname.startsWith('/evil/'))
          return evilToken(issuer, url, signing.privateKey, kid, res);
        return void json(res, 404, { error: 'not_found' });
      }
      return providerCallback(req, res);
    };
    Promise.resolve()
      .then(route)
      .catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { error: 'server_error', message: String(error) });
      });
  });

  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const resource = new ResourceServer(rsUrl, issuer, jwks);
  resourceServer.on('request', (req, res) => {
    resource.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', message: String(error) });
    });
  });

  return {
    issuer,
    resourceServerUrl: rsUrl,
    close: async () => {
      await Promise.all([close(providerServer), close(resourceServer)]);
    },
  };
}

/** What the provider's events hand over (see oidc-provider's `grant.*` events). */
interface EventSource {
  on(event: 'grant.success', listener: (ctx: TokenContext) => void): void;
  on(
    event: 'grant.error',
    listener: (
      ctx: TokenContext,
      error: { error?: string; error_description?: string; error_detail?: string },
    ) => void,
  ): void;
  RefreshToken: {
    find(
      token: string,
      options: { ignoreExpiration: true },
    ): Promise<{ grantId: string } | undefined>;
  };
}
interface TokenContext {
  oidc: {
    params?: { grant_type?: string };
    entities: { RotatedRefreshToken?: { grantId: string }; RefreshToken?: { grantId: string } };
  };
}

/**
 * Counts, per grant, the refresh grants answered and the reuses of a spent refresh token refused
 * (oidc-provider then revokes the grant). Answers `POST /test/grant-stats` with `{ grantId }` or
 * `{ token }` (any refresh token of the grant, spent ones included, while the grant lives).
 */
function grantStats(
  provider: EventSource,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const byGrant = new Map<string, GrantStats>();
  const of = (grantId: string): GrantStats => {
    let stats = byGrant.get(grantId);
    if (!stats) byGrant.set(grantId, (stats = { refreshes: 0, reuse: 0, errors: {} }));
    return stats;
  };
  provider.on('grant.success', (ctx) => {
    const rotated = ctx.oidc.entities.RotatedRefreshToken ?? ctx.oidc.entities.RefreshToken;
    if (ctx.oidc.params?.grant_type === 'refresh_token' && rotated) of(rotated.grantId).refreshes++;
  });
  provider.on('grant.error', (ctx, error) => {
    const token = ctx.oidc.entities.RefreshToken;
    if (ctx.oidc.params?.grant_type !== 'refresh_token' || !token) return;
    const stats = of(token.grantId);
    // oidc-provider answers a generic description; what happened is in error_detail.
    if (error.error_detail === REUSE) stats.reuse++;
    const code = error.error ?? 'unknown';
    stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  });
  return async (req, res) => {
    const { token, grantId } = JSON.parse(await readBody(req)) as {
      token?: string;
      grantId?: string;
    };
    const id =
      grantId ??
      (token === undefined
        ? undefined
        : (await provider.RefreshToken.find(token, { ignoreExpiration: true }))?.grantId);
    if (id === undefined) return json(res, 404, { error: 'no such grant' });
    return json(res, 200, { grantId: id, ...of(id) });
  };
}

// ── the provider's interaction (what an app's login and consent pages do) ──────────────────

async function interaction(
  provider: OidcProvider,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const action = url.pathname.split('/')[3];
  if (req.method === 'GET' && action === undefined)
    return json(res, 200, { uid: details.uid, prompt: details.prompt.name });
  if (req.method !== 'POST') return json(res, 405, { error: 'method_not_allowed' });
  if (action === 'login' && details.prompt.name === 'login') {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('login') !== 'alice' || form.get('password') !== 'password')
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'wrong login or password' },
        { mergeWithLastSubmission: false },
      );
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: 'alice' } },
      { mergeWithLastSubmission: false },
    );
  }
  if (action === 'confirm' && details.prompt.name === 'consent') {
    const accountId = details.session?.accountId;
    const clientId = details.params.client_id;
    if (typeof accountId !== 'string' || typeof clientId !== 'string')
      return json(res, 400, { error: 'no_session' });
    const grant =
      (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: details.grantId === undefined ? { grantId } : {} },
      { mergeWithLastSubmission: true },
    );
  }
  return json(res, 400, { error: 'unexpected_prompt', prompt: details.prompt.name });
}

// ── test-only helpers ─────────────────────────────────────────────────────────────────────

/**
 * Plays the user's browser: GET the authorization URL, answer the login prompt with `login` /
 * `password` and the consent prompt, follow the provider's redirects with its cookies; answers
 * `{ callback }`, the redirect to the client's redirect URI, not followed.
 */
async function testAuthorize(issuer: string, req: IncomingMessage, res: ServerResponse) {
  const { url, login, password } = JSON.parse(await readBody(req)) as Record<string, string>;
  if (!url?.startsWith(`${issuer}/`)) return json(res, 400, { error: 'not this provider' });
  const cookies = new Map<string, string>();
  const go = async (target: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (cookies.size > 0)
      headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };
  let response = await go(url);
  for (let step = 0; step < 12; step++) {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null)
      return json(res, 502, {
        error: `unexpected HTTP ${response.status}`,
        body: await response.text(),
      });
    const next = new URL(location, issuer);
    if (next.origin !== new URL(issuer).origin) return json(res, 200, { callback: next.href });
    if (next.pathname.startsWith('/interaction/')) {
      const { prompt } = (await (await go(next.href)).json()) as { prompt: string };
      response =
        prompt === 'login'
          ? await go(`${next.href}/login`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({
                login: login ?? '',
                password: password ?? '',
              }).toString(),
            })
          : await go(`${next.href}/confirm`, { method: 'POST' });
      continue;
    }
    response = await go(next.href);
  }
  return json(res, 502, { error: 'too many redirects' });
}

/**
 * RFC 8414 metadata for the issuer `<issuer>/rfc8414`, served only at
 * `/.well-known/oauth-authorization-server/rfc8414`: the provider's endpoints under that issuer.
 */
async function rfc8414Metadata(issuer: string, res: ServerResponse): Promise<void> {
  const metadata = (await (
    await fetch(`${issuer}/.well-known/openid-configuration`)
  ).json()) as Record<string, unknown>;
  res.setHeader('Access-Control-Allow-Origin', '*');
  return json(res, 200, { ...metadata, issuer: `${issuer}${RFC8414_PATH}` });
}

/** RFC 7662 introspection of `{ token }` by the resource server's confidential client. */
async function testIntrospect(issuer: string, req: IncomingMessage, res: ServerResponse) {
  const { token } = JSON.parse(await readBody(req)) as { token: string };
  const basic = Buffer.from(`${RS_CLIENT.id}:${RS_CLIENT.secret}`).toString('base64');
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }).toString(),
  });
  return json(res, response.status, await response.json());
}

/**
 * A token endpoint answering an id_token wrong in one way (`variant`): `good` (none), `aud`,
 * `nonce`, `iss`, `expired`, `none` (alg none, unsigned), `sig` (signed by another key); each
 * with a fresh refresh token. `status/<code>` answers that HTTP status with an OAuth error body
 * (`temporarily_unavailable` for 503, `server_error` for other 5xx, `invalid_client` for 401).
 */
async function evilToken(
  issuer: string,
  url: URL,
  key: CryptoKey,
  kid: string,
  res: ServerResponse,
): Promise<void> {
  const [, , variant = '', nonce = ''] = url.pathname.split('/');
  if (variant === 'status') {
    const status = Number(nonce);
    const error =
      status === 503
        ? 'temporarily_unavailable'
        : status >= 500
          ? 'server_error'
          : 'invalid_client';
    return json(res, status, { error, error_description: 'answered by the test endpoint' });
  }
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload & { nonce: string } = {
    iss: variant === 'iss' ? 'https://attacker.example' : issuer,
    sub: 'alice',
    aud: variant === 'aud' ? 'another-client' : CLIENT_ID,
    iat: now,
    exp: variant === 'expired' ? now - 3600 : now + 300,
    nonce: variant === 'nonce' ? 'not-the-nonce-sent' : nonce,
  };
  let idToken: string;
  if (variant === 'none') {
    const part = (value: unknown) => base64url.encode(JSON.stringify(value));
    idToken = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
  } else {
    const signer = variant === 'sig' ? (await generateKeyPair('RS256')).privateKey : key;
    idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(signer);
  }
  return json(res, 200, {
    access_token: randomBytes(24).toString('base64url'),
    token_type: 'Bearer',
    expires_in: 60,
    refresh_token: randomBytes(24).toString('base64url'),
    id_token: idToken,
  });
}

// ── the resource server ───────────────────────────────────────────────────────────────────

/**
 * `POST /test/refuse` `{ jti }`: from then on the access token with that `jti` is refused (a
 * denylist, as after a revocation the resource server heard of).
 *
 * `GET /api/me`: accepts an access token of the provider (JWT, signature against the provider's
 * JWKS, `iss`, `aud`). A DPoP-bound one (`cnf.jkt`) needs `Authorization: DPoP` and a proof
 * signed by that key with `htm`, `htu`, `ath`, a fresh `iat`, an unseen `jti` and this server's
 * nonce: a proof without the current nonce is answered `401 use_dpop_nonce` with a `DPoP-Nonce`.
 */
class ResourceServer {
  readonly #url: string;
  readonly #issuer: string;
  readonly #jwks: ReturnType<typeof createRemoteJWKSet>;
  readonly #seen = new Set<string>();
  /** Access tokens (by `jti`) this server refuses from now on, as a denylist would. */
  readonly #refused = new Set<string>();
  readonly #nonce = randomBytes(16).toString('base64url');

  constructor(url: string, issuer: string, jwks: ReturnType<typeof createRemoteJWKSet>) {
    this.#url = url;
    this.#issuer = issuer;
    this.#jwks = jwks;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    cors(req, res, req.headers.origin ?? '*');
    res.setHeader('Access-Control-Allow-Headers', 'authorization, dpop, content-type');
    res.setHeader('Access-Control-Expose-Headers', 'DPoP-Nonce, WWW-Authenticate');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const url = new URL(req.url ?? '/', this.#url);
    if (url.pathname === '/test/refuse' && req.method === 'POST') {
      const { jti } = JSON.parse(await readBody(req)) as { jti?: string };
      if (typeof jti === 'string') this.#refused.add(jti);
      return void res.writeHead(204).end();
    }
    if (url.pathname !== '/api/me') return json(res, 404, { error: 'not_found' });
    const [scheme = '', token = ''] = (req.headers.authorization ?? '').split(' ');
    let claims: JWTPayload & { cnf?: { jkt?: string }; scope?: string };
    try {
      ({ payload: claims } = await jwtVerify(token, this.#jwks, {
        issuer: this.#issuer,
        audience: this.#url,
        typ: 'at+jwt',
      }));
    } catch {
      return this.#refuse(res, scheme === 'DPoP' ? 'DPoP' : 'Bearer', 'invalid_token');
    }
    if (typeof claims.jti === 'string' && this.#refused.has(claims.jti))
      return this.#refuse(res, scheme === 'DPoP' ? 'DPoP' : 'Bearer', 'invalid_token');
    const jkt = claims.cnf?.jkt;
    if (jkt === undefined) {
      if (scheme !== 'Bearer') return this.#refuse(res, 'Bearer', 'invalid_token');
      return json(res, 200, { sub: claims.sub, scheme, scope: claims.scope });
    }
    if (scheme !== 'DPoP') return this.#refuse(res, 'DPoP', 'invalid_token');
    const proof = req.headers.dpop;
    if (typeof proof !== 'string') return this.#refuse(res, 'DPoP', 'invalid_dpop_proof');
    let proofClaims: JWTPayload & { htm?: string; htu?: string; ath?: string; nonce?: string };
    let jwk: JWK;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256'],
        maxTokenAge: '60s',
        clockTolerance: 5,
      });
      proofClaims = verified.payload;
      jwk = verified.protectedHeader.jwk as JWK;
    } catch {
      return this.#refuse(res, 'DPoP', 'invalid_dpop_proof');
    }
    const ath = base64url.encode(
      new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))),
    );
    const checks = {
      htm: proofClaims.htm === req.method,
      htu: proofClaims.htu === `${url.origin}${url.pathname}`,
      ath: proofClaims.ath === ath,
      jti: typeof proofClaims.jti === 'string' && !this.#seen.has(proofClaims.jti),
      jkt: (await calculateJwkThumbprint(jwk)) === jkt,
    };
    if (Object.values(checks).includes(false))
      return this.#refuse(res, 'DPoP', 'invalid_dpop_proof', checks);
    this.#seen.add(proofClaims.jti as string);
    if (proofClaims.nonce !== this.#nonce) {
      res.setHeader('DPoP-Nonce', this.#nonce);
      return this.#refuse(res, 'DPoP', 'use_dpop_nonce');
    }
    return json(res, 200, {
      sub: claims.sub,
      scheme,
      jkt,
      proof: { htm: proofClaims.htm, htu: proofClaims.htu, ath: true, jti: proofClaims.jti },
    });
  }

  #refuse(res: ServerResponse, scheme: string, error: string, detail?: unknown): void {
    res.setHeader('WWW-Authenticate', `${scheme} error="${error}", algs="ES256"`);
    json(res, 401, { error, detail });
  }
}

// ── plumbing ──────────────────────────────────────────────────────────────────────────────

function cors(req: IncomingMessage, res: ServerResponse, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader(
    'Access-Control-Allow-Headers',
    req.headers['access-control-request-headers'] ?? 'content-type',
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(server: Server, port = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
