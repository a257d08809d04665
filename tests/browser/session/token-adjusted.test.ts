import { describe, expect, inject, it } from 'vitest';
import { httpRefresh, TokenManager, type Strata, type TokenEvents } from 'strata-storage';
import { stats } from '../../setup/auth-client.js';
import { handTimers } from '../helpers.js';
import { eachTestStrata, signInAt } from './helpers.js';

// An option the TokenManager does not apply as given is reported: `refreshBuffer` longer than a
// quarter of the token's lifetime is cut to that quarter, and the `adjusted` event says so
// (issue 19, item 8). Real tokens from the reference auth server (Vitest global setup).
const server = inject('authServerUrl');

let strata: Strata;
const { managers } = eachTestStrata((made) => ({ strata } = made));

/** A manager with a hand-driven clock and every `adjusted` event it emits. */
function manager(refreshBuffer?: number) {
  const timers = handTimers();
  const tokens = new TokenManager({
    storage: strata,
    refresh: httpRefresh(`${server}/api/auth/refresh`),
    ...(refreshBuffer === undefined ? {} : { refreshBuffer }),
    timers,
    clock: timers.now,
  });
  managers.push(tokens);
  const adjusted: Array<TokenEvents['adjusted']> = [];
  tokens.on('adjusted', (event) => adjusted.push(event));
  return { tokens, adjusted };
}

/** Tokens of a new user whose access token lives `accessTtl` seconds. */
async function issue(label: string, accessTtl: number) {
  const { user, issued } = await signInAt(server, label, { accessTtl });
  expect(issued.expiresIn).toBe(accessTtl);
  return { user, tokens: issued };
}

describe('a refresh buffer the TokenManager cuts is reported', () => {
  it('refreshBuffer 60 s on a 4 s token: adjusted at sign-in with the buffer applied, once', async () => {
    const { user, tokens: issued } = await issue('cut', 4);
    const { tokens, adjusted } = manager(60_000);
    await tokens.setTokens(issued);
    expect(adjusted).toEqual([
      { option: 'refreshBuffer', requested: 60_000, applied: 1_000, lifetime: 4_000 },
    ]);
    // What the event says is what the manager does.
    const status = tokens.status();
    expect(status.expiresAt! - status.refreshAt!).toBe(1_000);
    // Asking again, and a refresh to another token of the same lifetime, tell nothing new.
    for (let i = 0; i < 5; i++) tokens.status();
    await tokens.getAccessToken();
    await tokens.refresh({ force: true });
    expect((await stats(server, user)).refreshes).toBe(1);
    expect(tokens.status().expiresAt! - tokens.status().refreshAt!).toBe(1_000);
    expect(adjusted).toHaveLength(1);
  });

  it('the default buffer on a 10-minute token is applied whole: no event', async () => {
    const { tokens: issued } = await issue('whole', 600);
    const { tokens, adjusted } = manager();
    await tokens.setTokens(issued);
    const status = tokens.status();
    expect(status.expiresAt! - status.refreshAt!).toBe(60_000);
    expect(adjusted).toEqual([]);
  });

  it('told again for short tokens after long ones, with the new lifetime', async () => {
    const short = await issue('short', 4);
    const long = await issue('long', 600);
    const shorter = await issue('shorter', 2);
    const { tokens, adjusted } = manager(60_000);
    await tokens.setTokens(short.tokens);
    await tokens.setTokens(long.tokens); // 60 s of 600 s: applied as given
    await tokens.setTokens(shorter.tokens);
    expect(adjusted).toEqual([
      { option: 'refreshBuffer', requested: 60_000, applied: 1_000, lifetime: 4_000 },
      { option: 'refreshBuffer', requested: 60_000, applied: 500, lifetime: 2_000 },
    ]);
  });
});
