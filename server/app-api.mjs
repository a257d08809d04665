// The demo app's own API (`/api/me`, `/api/session/sync`, `/api/analytics`): a resource server
// that trusts only access tokens of the demo provider, checked with jose against the provider's
// JWKS (signature, iss, aud, exp, typ at+jwt), and only with a DPoP proof (RFC 9449 §4.3, §7):
// signed by the key the token is bound to (cnf.jkt), for this method and URL (htm, htu), this
// token (ath), fresh (iat) and never seen before (jti).
import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, createRemoteJWKSet, jwtVerify } from 'jose';
import { findAccount } from './demo-provider.mjs';
import { HttpError, applyCors, originSet, readJson, sendJson } from './http.mjs';

/** How old (or how far ahead) a proof's iat may be, in seconds. */
const PROOF_WINDOW = 60;
const MAX_EVENTS = 100;

/**
 * The API's request handler.
 * @param {{
 *   issuer: string,
 *   audience: string,
 *   origins: string[],
 *   jwks?: Parameters<typeof jwtVerify>[1],
 *   clock?: () => number,
 * }} options `origins`: where pages call the API from (the htu of a proof must be on one of
 *   them; browsers there get CORS); `jwks`: default the provider's `<issuer>/jwks`.
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function createAppApi({ issuer, audience, origins, jwks, clock = Date.now }) {
  const allowed = originSet(origins);
  const keys = jwks ?? createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const seen = new ProofLedger(clock);
  /** @type {Array<{ sub: string | undefined, event: unknown }>} */
  const events = [];

  /** The subject of a valid DPoP-bound token with a valid proof, or a 401. */
  async function authenticate(req, url) {
    const match = /^(\S+)\s+(\S+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw refused('invalid_token', 'no access token');
    const [, scheme, token] = match;
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['RS256'],
        currentDate: new Date(clock()),
      }));
    } catch (error) {
      throw refused('invalid_token', error?.code === 'ERR_JWT_EXPIRED' ? 'expired' : 'not valid');
    }
    const jkt = claims.cnf?.jkt;
    if (typeof jkt !== 'string' || scheme !== 'DPoP')
      throw refused('invalid_token', 'a DPoP-bound token with Authorization: DPoP is required');
    const proof = req.headers.dpop;
    if (typeof proof !== 'string') throw refused('invalid_dpop_proof', 'no DPoP proof');
    let payload;
    let header;
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256', 'PS256', 'RS256', 'EdDSA'],
        currentDate: new Date(clock()),
      }));
    } catch {
      throw refused('invalid_dpop_proof', 'the proof does not verify');
    }
    const now = clock() / 1000;
    const ath = createHash('sha256').update(token).digest('base64url');
    const failed = [
      payload.htm !== req.method && 'htm',
      !htuOf(allowed, url).has(payload.htu) && 'htu',
      payload.ath !== ath && 'ath',
      (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > PROOF_WINDOW) && 'iat',
      (await calculateJwkThumbprint(header.jwk)) !== jkt && 'jkt',
      (typeof payload.jti !== 'string' || !seen.add(payload.jti)) && 'jti',
    ].filter(Boolean);
    if (failed.length > 0) throw refused('invalid_dpop_proof', `wrong ${failed.join(', ')}`);
    return { sub: claims.sub, jkt };
  }

  const routes = {
    'GET /api/me': async (req, url) => {
      const { sub, jkt } = await authenticate(req, url);
      return { user: publicUser(sub), tokenType: 'DPoP', jkt };
    },
    'POST /api/session/sync': async (req, url) => {
      const { sub } = await authenticate(req, url);
      const body = await readJson(req);
      if (body.session === null || typeof body.session !== 'object' || Array.isArray(body.session))
        throw new HttpError(400, {
          error: 'invalid_request',
          message: 'session must be an object.',
        });
      const user = publicUser(sub);
      return { session: { user, roles: user.roles, permissions: [], serverTime: clock() } };
    },
    'POST /api/analytics': async (req, url) => {
      // Guests send events too; a token, when sent, must be valid.
      const auth = req.headers.authorization ? await authenticate(req, url) : undefined;
      const body = await readJson(req);
      if (!Array.isArray(body.events) || body.events.length > MAX_EVENTS)
        throw new HttpError(400, {
          error: 'invalid_request',
          message: `events must be an array of at most ${MAX_EVENTS}.`,
        });
      for (const event of body.events) events.push({ sub: auth?.sub, event });
      events.splice(0, Math.max(0, events.length - 10 * MAX_EVENTS));
      return { received: body.events.length };
    },
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://api.invalid');
    if (!applyCors(req, res, (origin) => allowed.has(origin)))
      return sendJson(res, 403, { error: 'origin_not_allowed' });
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, DPoP');
      return sendJson(res, 204);
    }
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate');
    const route = routes[`${req.method} ${url.pathname}`];
    try {
      if (!route) throw new HttpError(404, { error: 'not_found' });
      sendJson(res, 200, await route(req, url));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendJson(res, error.status, error.body, error.headers);
    }
  };
}

/**
 * The URLs a proof for this request may name: its path on one of the API's origins (the demo
 * page reaches the API through its Vite proxy, so the page's origin is the API's too).
 */
function htuOf(allowed, url) {
  return new Set([...allowed].map((origin) => `${origin}${url.pathname}`));
}

/** A 401 with the RFC 9449 challenge; `reason` names the failed check, never a token. */
function refused(error, reason) {
  return new HttpError(
    401,
    { error, reason },
    { 'WWW-Authenticate': `DPoP error="${error}", algs="ES256"` },
  );
}

/** @param {string | undefined} sub */
function publicUser(sub) {
  const claims = sub === undefined ? undefined : findAccount(sub)?.claims();
  return {
    id: sub,
    name: claims?.name ?? sub,
    email: claims?.email,
    roles: claims?.roles ?? [],
  };
}

/** The jti of every proof accepted in the last proof window: a proof is good once. */
class ProofLedger {
  /** @type {Map<string, number>} jti → when it may be forgotten (epoch ms) */
  #seen = new Map();
  #clock;

  /** @param {() => number} clock */
  constructor(clock) {
    this.#clock = clock;
  }

  /** Records `jti`; false when it was seen already. @param {string} jti */
  add(jti) {
    const now = this.#clock();
    for (const [id, until] of this.#seen) if (until < now) this.#seen.delete(id);
    if (this.#seen.has(jti)) return false;
    this.#seen.set(jti, now + 2 * PROOF_WINDOW * 1000);
    return true;
  }
}
