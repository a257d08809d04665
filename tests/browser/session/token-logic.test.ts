import { describe, expect, it } from 'vitest';
import { StrataError } from 'strata-storage';
import { backoffDelay, refreshError, refreshFailureOf } from '../../../src/session/token-errors.js';
import { nextTokenState, type TokenState } from '../../../src/session/token-store.js';
import { expiryOf, heldFrom, statusOf } from '../../../src/session/token-times.js';

// The pure parts of TokenManager, without storage, server or timers.
const NOW = 1_700_000_000_000;

describe('token times', () => {
  it('clamps the refresh buffer to a quarter of the lifetime', () => {
    const held = heldFrom({ accessToken: 'a', expiresIn: 4 }, undefined, NOW);
    const status = statusOf(held, NOW, 60_000, false);
    expect(status).toMatchObject({ expiresAt: NOW + 4_000, refreshAt: NOW + 3_000 });
    expect(status).toMatchObject({ needsRefresh: false, isValid: true, timeUntilRefresh: 3_000 });
    expect(statusOf(held, NOW + 3_000, 60_000, true)).toMatchObject({
      needsRefresh: true,
      isValid: true,
      isRunning: true,
    });
  });

  it('an unknown expiry is valid and never due; an empty access token always is', () => {
    const unknown = heldFrom({ accessToken: 'opaque' }, undefined, NOW);
    expect(statusOf(unknown, NOW, 60_000, false)).toMatchObject({
      expiresAt: null,
      refreshAt: null,
      isValid: true,
      needsRefresh: false,
    });
    expect(statusOf({ ...unknown, accessToken: '' }, NOW, 60_000, false)).toMatchObject({
      isValid: false,
      needsRefresh: true,
    });
    expect(statusOf(undefined, NOW, 60_000, false)).toMatchObject({
      isValid: false,
      needsRefresh: false,
    });
  });

  it('reads expiresIn relative to this clock and expiresAt in seconds or milliseconds', () => {
    expect(expiryOf({ accessToken: 'a', expiresIn: 60 }, NOW, false)).toBe(NOW + 60_000);
    expect(expiryOf({ accessToken: 'a', expiresAt: NOW / 1000 + 60 }, NOW, false)).toBe(
      NOW + 60_000,
    );
    expect(expiryOf({ accessToken: 'a', expiresAt: NOW + 60_000 }, NOW, false)).toBe(NOW + 60_000);
  });

  it('a refreshed token whose absolute expiry is past by this clock has an unknown expiry; a login keeps it', () => {
    const past = { accessToken: 'a', expiresAt: NOW - 60_000 };
    expect(expiryOf(past, NOW, true)).toBeNull();
    expect(expiryOf(past, NOW, false)).toBe(NOW - 60_000);
  });

  it('a refresh keeps what the answer leaves out, and the refresh lifetime only for the same token', () => {
    const login = heldFrom(
      { accessToken: 'a1', refreshToken: 'r1', idToken: 'i1', refreshExpiresIn: 3_600 },
      undefined,
      NOW,
    );
    expect(login).toMatchObject({ lastRefreshAt: null, refreshExpiresAt: NOW + 3_600_000 });
    const same = heldFrom({ accessToken: 'a2' }, login, NOW + 1);
    expect(same).toMatchObject({
      refreshToken: 'r1',
      idToken: 'i1',
      refreshExpiresAt: NOW + 3_600_000,
      lastRefreshAt: NOW + 1,
    });
    const rotated = heldFrom({ accessToken: 'a3', refreshToken: 'r2' }, login, NOW + 2);
    expect(rotated.refreshToken).toBe('r2');
    expect(rotated).not.toHaveProperty('refreshExpiresAt');
    expect(heldFrom({ accessToken: 'a4' }, undefined, NOW, 'memory-r').refreshToken).toBe(
      'memory-r',
    );
  });
});

describe('token state transitions', () => {
  const held = heldFrom({ accessToken: 'a', refreshToken: 'r' }, undefined, NOW);
  const signedIn: TokenState = {
    held,
    memoryRefreshToken: 'r',
    flagged: true,
    generation: 3,
  };

  it('a sign-out resets every part of the state and starts a new generation', () => {
    expect(nextTokenState(signedIn, { type: 'signed-out' })).toEqual({
      held: undefined,
      memoryRefreshToken: undefined,
      flagged: false,
      generation: 4,
    });
  });

  it('supersede starts a new generation only; stale and read change only the copy', () => {
    expect(nextTokenState(signedIn, { type: 'supersede' })).toEqual({ ...signedIn, generation: 4 });
    expect(nextTokenState(signedIn, { type: 'stale' })).toEqual({ ...signedIn, held: undefined });
    expect(nextTokenState(signedIn, { type: 'read', held: undefined })).toEqual({
      ...signedIn,
      held: undefined,
    });
  });

  it('a save in memory mode records the refresh token and the flag', () => {
    const empty: TokenState = { ...signedIn, memoryRefreshToken: undefined, flagged: false };
    expect(nextTokenState(empty, { type: 'saved', held, memoryRefreshToken: 'r' })).toEqual({
      ...empty,
      held,
      memoryRefreshToken: 'r',
      flagged: true,
    });
    expect(nextTokenState(empty, { type: 'saved', held })).toEqual({ ...empty, held });
  });
});

describe('token errors', () => {
  it('backs off from 1 s, doubling, to at most a minute', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map(backoffDelay)).toEqual([
      1_000, 2_000, 4_000, 8_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('sorts failures: signed out, busy, rejected (signs out) and transient', () => {
    const wrap = (error: unknown) => refreshFailureOf(refreshError(error, []));
    expect(wrap(new StrataError('NOT_AUTHENTICATED', 'x'))).toBe('signed-out');
    expect(wrap(new StrataError('LOCK_TIMEOUT', 'x'))).toBe('busy');
    expect(wrap(Object.assign(new Error('x'), { status: 400 }))).toBe('rejected');
    expect(wrap(Object.assign(new Error('x'), { status: 401, error: 'invalid_grant' }))).toBe(
      'rejected',
    );
    expect(wrap(Object.assign(new Error('x'), { status: 401, error: 'invalid_client' }))).toBe(
      'transient',
    );
    expect(wrap(Object.assign(new Error('x'), { status: 503 }))).toBe('transient');
  });

  it('wraps a failure without the original error or any secret', () => {
    const original = Object.assign(new TypeError('refused secret-refresh-token'), {
      status: 503,
      config: { data: 'secret-refresh-token' },
    });
    const wrapped = refreshError(original, ['secret-refresh-token']);
    expect(wrapped).toMatchObject({
      code: 'REFRESH_FAILED',
      message: 'The token refresh failed (HTTP 503).',
    });
    expect(wrapped.cause).toMatchObject({
      name: 'TypeError',
      message: 'refused [token]',
      status: 503,
    });
    expect(wrapped.cause).not.toHaveProperty('config');
    const kept = new StrataError('TIMEOUT', 'x');
    expect(refreshError(kept, [])).toBe(kept);
  });
});
