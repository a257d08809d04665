// The demo's authorization server: an unmodified oidc-provider configured for one public SPA
// client (authorization code + PKCE, refresh tokens rotated on every use with no grace: a spent
// token is refused and ends its grant), DPoP required with nonces, JWT access tokens for the
// app API, CORS for the demo's origins only, one account `alice` / `password`.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

/** The demo page's client. */
export const DEMO_CLIENT_ID = 'strata-demo';
/** The resource indicator (audience) of the app API's access tokens. */
export const API_AUDIENCE = 'urn:strata-demo:api';
/** A confidential client that may only introspect (what a resource server registers). */
export const INTROSPECTION_CLIENT_ID = 'strata-demo-introspection';

const DAY = 86_400;

/** The one account. Its password is public: this is a demo. */
const ALICE = {
  sub: 'alice',
  preferred_username: 'alice',
  name: 'Alice Example',
  email: 'alice@example.com',
  roles: ['user'],
};

/**
 * The account of `id`, as oidc-provider's `findAccount` answers it.
 * @param {string} id
 */
export function findAccount(id) {
  return id === ALICE.sub ? { accountId: id, claims: () => ({ ...ALICE }) } : undefined;
}

/**
 * A configured oidc-provider (not listening: mount `provider.callback()`).
 * @param {{
 *   issuer: string,
 *   demoOrigins: string[],
 *   accessTtl?: number,
 *   introspectionSecret?: string,
 * }} options `demoOrigins`: the page's origins, each with a redirect URI `<origin>/`;
 *   `accessTtl`: access-token lifetime in seconds (default 60); `introspectionSecret`: registers
 *   {@link INTROSPECTION_CLIENT_ID} with it.
 */
export async function createDemoProvider({
  issuer,
  demoOrigins,
  accessTtl = 60,
  introspectionSecret,
}) {
  const signing = await generateKeyPair('RS256', { extractable: true });
  const jwk = {
    ...(await exportJWK(signing.privateKey)),
    kid: randomUUID(),
    alg: 'RS256',
    use: 'sig',
  };
  const origins = new Set(demoOrigins.map((origin) => new URL(origin).origin));
  const clients = [
    {
      client_id: DEMO_CLIENT_ID,
      client_name: 'strata-storage demo',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [...origins].map((origin) => `${origin}/`),
      dpop_bound_access_tokens: true,
    },
  ];
  if (introspectionSecret !== undefined)
    clients.push({
      client_id: INTROSPECTION_CLIENT_ID,
      client_secret: introspectionSecret,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    });

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx, id) => findAccount(id),
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      roles: ['roles'],
    },
    // The page reads the user from the id_token alone: the scopes' claims go into it.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    clientBasedCORS: (_ctx, origin) => origins.has(origin),
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // A first-party app: the grant is given at sign-in, no consent page.
    loadExistingGrant: (ctx) => firstPartyGrant(ctx),
    ttl: {
      AccessToken: accessTtl,
      IdToken: 3600,
      RefreshToken: 30 * DAY,
      Grant: 30 * DAY,
      Session: DAY,
      Interaction: 600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx, client) => client.clientId === INTROSPECTION_CLIENT_ID,
      },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== API_AUDIENCE) throw new errors.InvalidTarget();
          return {
            scope: 'api',
            audience: API_AUDIENCE,
            accessTokenTTL: accessTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  return provider;
}

/**
 * The grant the sign-in continues with: the session's for this client while it lives, else a new one with
 * everything the demo asks for (it would be a consent page for a third-party app).
 */
async function firstPartyGrant(ctx) {
  const { client, session, result, provider } = ctx.oidc;
  const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  // A sign-out revoked the session's last grant: the next sign-in gets a new one.
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  if (existing) return existing;
  if (client.clientId !== DEMO_CLIENT_ID || !session.accountId) return undefined;
  const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope('openid profile email roles');
  grant.addResourceScope(API_AUDIENCE, 'api');
  await grant.save();
  return grant;
}
