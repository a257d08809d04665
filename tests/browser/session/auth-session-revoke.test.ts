import { afterEach, describe, expect, inject, it } from 'vitest';
import { AuthSession, StrataError, TokenManager, httpRevoke, type Strata } from 'strata-storage';
import { makeStrata } from '../helpers.js';

// A logout whose revocation fails (httpRevoke, the SDK's JSON shape) is reported: clear() and
// AuthSession.logout() sign out everywhere, then reject with the failure, which names no token.
const issuer = inject('oidcIssuer');
/** Answers `503 temporarily_unavailable` to any POST (tests/setup/oidc-provider.global.ts). */
const failing = `${issuer}/evil/status/503/token`;
/** Nothing listens on port 9 of the loopback: the request never reaches a server. */
const unreachable = 'http://127.0.0.1:9/api/auth/logout';
const REFRESH = 'refresh-token-that-must-not-leak';

let strata: Strata;
const disposers: Array<() => void> = [];
afterEach(async () => {
  disposers.splice(0).forEach((dispose) => dispose());
  await strata.close();
});

async function signedIn(revokeUrl: string) {
  ({ strata } = makeStrata({ defaultStorage: 'localStorage', encryption: { enabled: true } }));
  await strata.ready();
  const tokens = new TokenManager({
    storage: strata,
    refresh: () => Promise.reject(new Error('not used')),
    revoke: httpRevoke(revokeUrl, { timeout: 5_000 }),
    proactive: false,
  });
  const auth = new AuthSession({ storage: strata, tokens });
  disposers.push(
    () => tokens.dispose(),
    () => auth.dispose(),
  );
  await auth.login(
    { userId: 'alice' },
    { tokens: { accessToken: 'access', refreshToken: REFRESH, expiresIn: 600 } },
  );
  return { tokens, auth };
}

/** The rejection of `promise`, checked to be a StrataError of `code` that names no token. */
async function failure(promise: Promise<unknown>, code: string): Promise<StrataError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StrataError);
  expect((error as StrataError).code).toBe(code);
  expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(REFRESH);
  return error as StrataError;
}

describe('httpRevoke failures are reported, never swallowed', () => {
  it('a non-2xx answer: logout() signs out, then rejects with REVOCATION_FAILED and the status', async () => {
    const { tokens, auth } = await signedIn(failing);
    const error = await failure(auth.logout(), 'REVOCATION_FAILED');
    expect((error as StrataError & { status?: number }).status).toBe(503);
    expect(error.message).toContain('HTTP 503');
    expect(auth.getState().status).toBe('unauthenticated');
    expect(await tokens.getTokens()).toBeUndefined();
    expect(await auth.getSession()).toBeNull();
  });

  it('an unreachable server: clear() signs out, then rejects with NETWORK', async () => {
    const { tokens } = await signedIn(unreachable);
    const cleared: string[] = [];
    tokens.on('cleared', ({ reason }) => cleared.push(reason));
    await failure(tokens.clear(), 'NETWORK');
    expect(cleared).toEqual(['logout']);
    expect(await tokens.getTokens()).toBeUndefined();
  });

  it('sends exactly POST url, Content-Type: application/json, {"refreshToken": …}', async () => {
    const seen: Array<{ method: string; type: string | null; body: string; auth: string | null }> =
      [];
    const revoke = httpRevoke('https://auth.example/logout', {
      fetch: async (input, init) => {
        const request = new Request(input, init);
        seen.push({
          method: request.method,
          type: request.headers.get('content-type'),
          body: await request.text(),
          auth: request.headers.get('authorization'),
        });
        return new Response(null, { status: 204 });
      },
    });
    await revoke('rt');
    expect(seen).toEqual([
      { method: 'POST', type: 'application/json', body: '{"refreshToken":"rt"}', auth: null },
    ]);
  });
});
