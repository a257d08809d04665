import { afterEach, describe, expect, it } from 'vitest';
import { AuthSession, Strata } from 'strata-storage';
import {
  currentTraits,
  SessionFingerprint,
  type FingerprintTraits,
} from '../../../../src/session/fingerprint.js';
import { makeStrata, rawDump } from '../../helpers.js';
import { moduleInFreshFrame } from '../../reliability/patch.js';

const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function strataOn(namespace?: string): Strata {
  const { strata } = makeStrata({
    defaultStorage: 'localStorage',
    encryption: { enabled: true },
    ...(namespace ? { namespace } : {}),
  });
  open.push(strata);
  return strata;
}

/** Another device: same traits but a different user agent. */
const otherDevice = (): FingerprintTraits => ({
  ...currentTraits(),
  userAgent: 'Mozilla/5.0 (stolen-profile)',
});

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('SessionFingerprint', () => {
  it('is a SHA-256 of the stable traits, equal across instances and storages', async () => {
    const a = await new SessionFingerprint({ storage: strataOn() }).compute();
    const b = await new SessionFingerprint({ storage: strataOn() }).compute();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    const traits = currentTraits();
    expect(traits.userAgent).toBe(navigator.userAgent);
    expect(traits.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    const canonical = JSON.stringify(
      Object.keys(traits)
        .sort()
        .map((name) => [name, traits[name as keyof FingerprintTraits]]),
    );
    expect(a).toBe(await sha256Hex(canonical));
    expect(
      await new SessionFingerprint({ storage: strataOn(), traits: otherDevice }).compute(),
    ).not.toBe(a);
  });

  it('does not change when the window is resized', async () => {
    // In a frame this test resizes: every engine's driver can, and its window is the SDK's.
    const { module, frame, dispose } = await moduleInFreshFrame<
      typeof import('../../../../src/session/fingerprint.js')
    >('/src/session/fingerprint.ts', () => undefined);
    try {
      frame.style.width = '640px';
      const fingerprint = new module.SessionFingerprint({ storage: strataOn() });
      const before = await fingerprint.compute();
      const width = frame.contentWindow?.innerWidth;
      frame.style.width = '420px';
      expect(frame.contentWindow?.innerWidth).not.toBe(width);
      expect(await fingerprint.compute()).toBe(before);
    } finally {
      dispose();
    }
  });

  it('binds to the session (encrypted at rest) and checks the device', async () => {
    const strata = strataOn();
    const fingerprint = new SessionFingerprint({ storage: strata });
    expect(await fingerprint.check()).toBe(false); // nothing bound yet
    const hash = await fingerprint.bind();
    expect(await fingerprint.check()).toBe(true);
    expect(await new SessionFingerprint({ storage: strataOn(strata.namespace) }).check()).toBe(
      true,
    );
    expect(await new SessionFingerprint({ storage: strata, traits: otherDevice }).check()).toBe(
      false,
    );
    expect(await rawDump(strata.namespace)).not.toContain(hash);
    await fingerprint.unbind();
    expect(await fingerprint.check()).toBe(false);
  });

  it('as the AuthSession restore guard: restores on this device, refuses on another', async () => {
    const strata = strataOn();
    let restores = 0;
    const restore = async () => {
      restores++;
      return {
        user: { userId: 'u1', roles: ['user'], permissions: [] },
        tokens: { accessToken: 'a2', refreshToken: 'r2', expiresIn: 900 },
      };
    };
    const auth = new AuthSession({
      storage: strata,
      restore,
      fingerprint: new SessionFingerprint({ storage: strata }),
      browserSession: () => 'b1',
    });
    await auth.login(
      { userId: 'u1' },
      { tokens: { accessToken: 'a1', refreshToken: 'r1', expiresIn: 900 } },
    );
    expect(await strata.get('session-fingerprint')).toMatch(/^[0-9a-f]{64}$/);

    await strata.remove('auth-session'); // the session is gone; the refresh token is held
    expect(await auth.getSession()).toMatchObject({ userId: 'u1' });
    expect(restores).toBe(1);

    await strata.remove('auth-session');
    const stolen = new AuthSession({
      storage: strata,
      restore,
      fingerprint: new SessionFingerprint({ storage: strata, traits: otherDevice }),
      browserSession: () => 'b1',
    });
    expect(await stolen.getSession()).toBeNull();
    expect(stolen.getState().status).toBe('unauthenticated');
    expect(restores).toBe(1); // the refresh token was never sent

    auth.dispose();
    stolen.dispose();
  });

  it('logout removes the binding', async () => {
    const strata = strataOn();
    const fingerprint = new SessionFingerprint({ storage: strata });
    const auth = new AuthSession({ storage: strata, fingerprint, browserSession: () => 'b1' });
    await auth.login({ userId: 'u1' });
    expect(await fingerprint.check()).toBe(true);
    await auth.logout();
    expect(await fingerprint.check()).toBe(false);
    auth.dispose();
  });

  it('refuses bad options', () => {
    expect(() => new SessionFingerprint({} as { storage: Strata })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => new SessionFingerprint({ storage: strataOn(), ttl: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
