// Access and ID tokens of the reference auth server: ES256 JWTs signed with a key pair made
// at start, published as a JWKS. Times come from the server's injectable clock.
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, errors } from 'jose';
import { randomId } from './refresh-store.mjs';

/** The `iss` of every token. */
export const ISSUER = 'strata-demo';

/**
 * Makes a signer with a fresh ES256 key pair.
 * @param {() => number} clock epoch ms
 */
export async function createJwtSigner(clock) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomId(8);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const header = { alg: 'ES256', kid, typ: 'JWT' };
  const nowSeconds = () => Math.floor(clock() / 1000);

  return {
    /** The public keys as a JWKS document. */
    jwks: () => ({ keys: [jwk] }),

    /**
     * Signs an access token valid `ttl` seconds (exp rounded up to the next second).
     * @param {{ id: string, name: string, roles: string[], permissions: string[] }} user
     * @param {string} sid family id
     * @param {number} ttl seconds
     */
    accessToken(user, sid, ttl) {
      return new SignJWT({ name: user.name, roles: user.roles, permissions: user.permissions, sid })
        .setProtectedHeader(header)
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setJti(randomId(16))
        .setIssuedAt(nowSeconds())
        .setExpirationTime(Math.ceil((clock() + ttl * 1000) / 1000))
        .sign(privateKey);
    },

    /**
     * Signs an ID token (identity claims only).
     * @param {{ id: string, name: string, email?: string | undefined }} user
     * @param {number} ttl seconds
     */
    idToken(user, ttl) {
      return new SignJWT({
        name: user.name,
        ...(user.email === undefined ? {} : { email: user.email }),
      })
        .setProtectedHeader(header)
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setIssuedAt(nowSeconds())
        .setExpirationTime(Math.ceil((clock() + ttl * 1000) / 1000))
        .sign(privateKey);
    },

    /**
     * Verifies an access token against the server clock.
     * Answers `{ ok: true, payload }`, or `{ ok: false, payload? }` (the payload of a
     * correctly signed but expired token, for statistics only).
     * @param {string} token
     */
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          issuer: ISSUER,
          algorithms: ['ES256'],
          currentDate: new Date(clock()),
        });
        if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string')
          return { ok: false };
        return { ok: true, payload };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, payload: error.payload };
        return { ok: false };
      }
    },
  };
}
