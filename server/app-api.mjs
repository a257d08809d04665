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
/** The algorithms a proof may be signed with, as verified and as advertised (algs). */
const PROOF_ALGS = ['ES256', 'PS256', 'RS256', 'EdDSA'];
/** Longest jti the API records (a UUID is 36 characters, 32 random bytes in base64url 43). */
const MAX_JTI_LENGTH = 128;
/** How many jti the API remembers at most; a full ledger answers 503 until the oldest expire. */
const MAX_PROOFS = 100_000;

/**
 * The API's request handler.
 * @param {{
 *   issuer: string,
 *   audience: string,
 *   origins: string[],
 *   jwks?: Parameters<typeof jwtVerify>[1],
 *   clock?: () => number,
 *   maxProofs?: number,
 * }} options `origins`: where pages call the API from (the htu of a proof must be on one of
 *   them; browsers there get CORS); `jwks`: default the provider's `<issuer>/jwks`;
 *   `maxProofs`: how many proofs (jti) of the last proof window are remembered, default 100000.
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function createAppApi({
  issuer,
  audience,
  origins,
  jwks,
  clock = Date.now,
  maxProofs = MAX_PROOFS,
}) {
  const allowed = originSet(origins);
  const keys = jwks ?? createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const seen = new ProofLedger(clock, maxProofs);
  /** @type {Array<{ sub: string | undefined, event: unknown }>} */
  const events = [];

  /** The subject of a valid DPoP-bound token with a valid proof, or a 401. */
  async function authenticate(req, url) {
    const header = req.headers.authorization;
    // No credentials at all: the challenge carries no error code (RFC 6750 §3.1).
    if (header === undefined || header.trim() === '')
      throw new HttpError(401, { error: 'unauthorized' }, { 'WWW-Authenticate': CHALLENGE });
    const match = /^(\S+)\s+(\S+)$/.exec(header);
    if (!match) throw refused('invalid_token', 'no access token');
    const [, rawScheme, token] = match;
    const scheme = rawScheme.toLowerCase(); // auth schemes are case-insensitive (RFC 9110 §11.1)
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
    if (typeof jkt !== 'string' || scheme !== 'dpop')
      throw refused('invalid_token', 'a DPoP-bound token with Authorization: DPoP is required');
    const proof = req.headers.dpop;
    if (typeof proof !== 'string') throw refused('invalid_dpop_proof', 'no DPoP proof');
    let payload;
    let proofHeader;
    try {
      ({ payload, protectedHeader: proofHeader } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: PROOF_ALGS,
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
      (await calculateJwkThumbprint(proofHeader.jwk)) !== jkt && 'jkt',
      (typeof payload.jti !== 'string' || payload.jti.length > MAX_JTI_LENGTH) && 'jti',
    ].filter(Boolean);
    if (failed.length > 0) throw refused('invalid_dpop_proof', `wrong ${failed.join(', ')}`);
    // Recorded only now, when every other check passed: a refused proof spends no jti.
    if (!seen.add(`${jkt} ${payload.jti}`)) throw refused('invalid_dpop_proof', 'wrong jti');
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
    // No credentials: the API takes tokens, never cookies (the provider's share this origin).
    if (!applyCors(req, res, (origin) => allowed.has(origin), { credentials: false }))
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

/** The RFC 9449 §7.1 challenge, without an error. */
const CHALLENGE = `DPoP algs="${PROOF_ALGS.join(' ')}"`;

/** A 401 with the RFC 9449 challenge; `reason` names the failed check, never a token. */
function refused(error, reason) {
  return new HttpError(
    401,
    { error, reason },
    { 'WWW-Authenticate': `DPoP error="${error}", algs="${PROOF_ALGS.join(' ')}"` },
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

/**
 * The jti (with the key's thumbprint) of every proof accepted in the last proof window: a proof
 * is good once. Entries are added in the order they expire, so pruning stops at the first live
 * one; a full ledger answers 503 rather than forgetting a live jti.
 */
class ProofLedger {
  /** @type {Map<string, number>} `<jkt> <jti>` → when it may be forgotten (epoch ms) */
  #seen = new Map();
  #clock;
  #max;
  /** The expiry of the newest entry. */
  #last = 0;

  /** @param {() => number} clock @param {number} max */
  constructor(clock, max) {
    this.#clock = clock;
    this.#max = max;
  }

  /** Records `key`; false when it was seen already, a 503 when the ledger is full. @param {string} key */
  add(key) {
    const now = this.#clock();
    for (const [id, until] of this.#seen) {
      if (until >= now) break;
      this.#seen.delete(id);
    }
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#max) {
      const [oldest = now] = this.#seen.values();
      throw new HttpError(
        503,
        { error: 'temporarily_unavailable', reason: 'too many proofs in the last minute' },
        { 'Retry-After': String(Math.max(1, Math.ceil((oldest - now) / 1000))) },
      );
    }
    // Never before the last entry's expiry, so the map stays in expiry order if the clock steps back.
    this.#last = Math.max(now + 2 * PROOF_WINDOW * 1000, this.#last);
    this.#seen.set(key, this.#last);
    return true;
  }
}
