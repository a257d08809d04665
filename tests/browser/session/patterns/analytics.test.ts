import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuthSession, httpRefresh, Strata, TokenManager } from 'strata-storage';
import { SessionAnalytics, type AnalyticsEvent } from '../../../../src/session/analytics.js';
import { SessionManager } from '../../../../src/session/session-manager.js';
import { analyticsEvents, login, uniqueUser } from '../../../setup/auth-client.js';
import { handTimers, makeStrata, manualClock } from '../../helpers.js';

const url = inject('authServerUrl');
const endpoint = `${url}/api/analytics`;
const DAY = 24 * 60 * 60 * 1000;
const open: Strata[] = [];
const running: SessionAnalytics[] = [];

async function setOffline(offline: boolean): Promise<void> {
  const response = await fetch(`${url}/api/test/offline`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ offline }),
  });
  expect(response.status).toBe(204);
}

beforeEach(() => setOffline(false));
afterEach(async () => {
  running.splice(0).forEach((analytics) => analytics.stop());
  await setOffline(false);
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
});

function strataOn(namespace?: string, clock?: () => number): Strata {
  const { strata } = makeStrata({
    defaultStorage: 'localStorage',
    ...(namespace ? { namespace } : {}),
    ...(clock ? { clock } : {}),
  });
  open.push(strata);
  return strata;
}

function analyticsOn(
  strata: Strata,
  extra: Partial<ConstructorParameters<typeof SessionAnalytics>[0]> = {},
): SessionAnalytics {
  const analytics = new SessionAnalytics({ storage: strata, endpoint, flushInterval: 0, ...extra });
  running.push(analytics);
  return analytics;
}

async function received(sessionId: string): Promise<AnalyticsEvent[]> {
  return (await analyticsEvents(url, sessionId)) as AnalyticsEvent[];
}

describe('SessionAnalytics (reference server)', () => {
  it('sends session start, page views, custom events and session end, batched, to the session id', async () => {
    const strata = strataOn();
    const analytics = analyticsOn(strata, { batchSize: 2 });
    const sent: number[] = [];
    analytics.on('sent', ({ count }) => sent.push(count));
    await analytics.start('/home');
    await analytics.trackPageView('/products');
    await analytics.track('add_to_cart', { productId: 'p1', quantity: 2 });
    expect(await analytics.pending()).toBe(3);
    const result = await analytics.end();
    expect(result).toEqual({ sent: 4, remaining: 0 });
    expect(sent).toEqual([2, 2]);
    const sessionId = await new SessionManager(strata).id();
    const events = await received(sessionId);
    expect(events.map((e) => [e.type, e.path ?? e.name])).toEqual([
      ['session_start', '/home'],
      ['page_view', '/products'],
      ['event', 'add_to_cart'],
      ['session_end', undefined],
    ]);
    expect(events[2]?.data).toEqual({ productId: 'p1', quantity: 2 });
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    for (const e of events) expect(e.sessionId).toBe(sessionId);
    expect(await analytics.pending()).toBe(0);
  });

  it('never puts a token in an event, even when the app passes one in data', async () => {
    const username = uniqueUser('analytics');
    const { tokens } = await login(url, username);
    const strata = strataOn();
    const tokenManager = new TokenManager({
      storage: strata,
      refresh: httpRefresh(`${url}/api/auth/refresh`),
      proactive: false,
    });
    await tokenManager.setTokens(tokens);
    const sessionId = `s-${uniqueUser('tok')}`;
    const analytics = analyticsOn(strata, { sessionId: () => sessionId, tokens: tokenManager });
    await analytics.track('login', {
      method: 'password',
      accessToken: tokens.accessToken,
      nested: { refresh_token: tokens.refreshToken, ok: 1 },
    });
    expect((await analytics.flush()).sent).toBe(1);
    const [event] = await received(sessionId);
    const text = JSON.stringify(event);
    expect(text).not.toContain(tokens.accessToken);
    expect(text).not.toContain(tokens.refreshToken);
    expect(event?.data).toEqual({ method: 'password', nested: { ok: 1 } });
    // the Bearer header (from the TokenManager) told the server who sent it
    const byUser = (await (
      await fetch(`${url}/api/test/analytics?username=${username}`)
    ).json()) as { events: AnalyticsEvent[] };
    expect(byUser.events.map((e) => e.id)).toEqual([event?.id]);
  });

  it("events queued for a signed-in user are dropped by logout, never sent with the next user's token", async () => {
    const [alice, bob] = [uniqueUser('analytics-a'), uniqueUser('analytics-b')];
    const strata = strataOn();
    const tokenManager = new TokenManager({
      storage: strata,
      refresh: httpRefresh(`${url}/api/auth/refresh`),
      proactive: false,
    });
    const auth = new AuthSession({
      storage: strata,
      tokens: tokenManager,
      browserSession: () => 'b1',
    });
    await auth.login({ userId: alice }, { tokens: (await login(url, alice)).tokens });
    const analytics = analyticsOn(strata, {
      sessionId: () => 's-shared-device',
      tokens: tokenManager,
    });
    await setOffline(true);
    await analytics.track('alice_private_event');
    expect((await analytics.flush()).remaining).toBe(1); // the server was down: still queued
    await auth.logout();
    expect(await analytics.pending()).toBe(0);
    await setOffline(false);
    await auth.login({ userId: bob }, { tokens: (await login(url, bob)).tokens });
    await analytics.track('bob_event');
    expect((await analytics.flush()).sent).toBe(1);
    const byBob = (await (await fetch(`${url}/api/test/analytics?username=${bob}`)).json()) as {
      events: AnalyticsEvent[];
    };
    expect(byBob.events.map((e) => e.name)).toEqual(['bob_event']);
  });

  it('keeps the queue across a reload while the server is down, then delivers exactly once when online', async () => {
    const first = strataOn();
    const before = analyticsOn(first);
    await setOffline(true);
    await before.start('/checkout');
    await before.track('pay_clicked');
    await before.trackPageView('/receipt');
    const failed = await before.flush();
    expect(failed.sent).toBe(0);
    expect(failed.remaining).toBe(3);
    expect(failed.error?.code).toBe('NETWORK');
    const sessionId = await new SessionManager(first).id();
    before.stop();
    await first.close(); // the page reloads

    const second = strataOn(first.namespace);
    const after = analyticsOn(second, { flushInterval: 60_000 });
    await after.start('/receipt'); // listens to `online`
    expect(await after.pending()).toBe(4);
    expect(await received(sessionId)).toEqual([]);
    await setOffline(false);
    const sent: number[] = [];
    after.on('sent', ({ count }) => sent.push(count));
    window.dispatchEvent(new Event('online'));
    await after.flush(); // joins the flush `online` launched
    expect(sent.reduce((a, b) => a + b, 0)).toBe(4);
    expect(await after.flush()).toEqual({ sent: 0, remaining: 0 }); // nothing left to send again
    // a second instance on the same namespace flushing at the same time sends nothing twice
    const other = analyticsOn(strataOn(first.namespace));
    await after.track('late');
    await Promise.all([after.flush(), other.flush(), after.flush()]);
    const events = await received(sessionId);
    expect(events.map((e) => e.type)).toEqual([
      'session_start',
      'event',
      'page_view',
      'session_start',
      'event',
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(5);
  });

  it('drops events still undelivered after 7 days (injected clock)', async () => {
    const clock = manualClock();
    const strata = strataOn(undefined, clock.now);
    const analytics = analyticsOn(strata, { clock: clock.now, sessionId: () => sessionId });
    const sessionId = `s-${uniqueUser('week')}`;
    await setOffline(true);
    await analytics.track('old');
    clock.advance(6 * DAY);
    await analytics.track('recent');
    expect((await analytics.flush()).remaining).toBe(2);
    clock.advance(1.5 * DAY); // 'old' is 7.5 days old, 'recent' 1.5
    await setOffline(false);
    expect(await analytics.flush()).toEqual({ sent: 1, remaining: 0 });
    expect((await received(sessionId)).map((e) => e.name)).toEqual(['recent']);
  });

  it('flushes on each tick of the injected interval', async () => {
    const timers = handTimers();
    const sessionId = `s-${uniqueUser('tick')}`;
    const analytics = analyticsOn(strataOn(), {
      timers,
      flushInterval: 10_000,
      sessionId: () => sessionId,
    });
    await analytics.start('/a');
    await analytics.trackPageView('/b');
    expect(await received(sessionId)).toEqual([]);
    expect(timers.active()).toBe(1);
    timers.fire();
    expect(await analytics.flush()).toMatchObject({ sent: 2 }); // joins the flush the tick launched
    expect(await received(sessionId)).toHaveLength(2);
    analytics.stop();
    expect(timers.active()).toBe(0);
  });

  it('refuses bad options', () => {
    const strata = strataOn();
    expect(() => new SessionAnalytics({ storage: strata, batchSize: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => new SessionAnalytics({ storage: strata, flushInterval: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => new SessionAnalytics({ storage: strata, maxAge: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    return expect(new SessionAnalytics({ storage: strata }).track('')).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });
});
