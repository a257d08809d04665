import { afterEach, beforeEach } from 'vitest';
import type { Strata, StrataError, StrataOptions, TokenManager } from 'strata-storage';
import { login, uniqueUser } from '../../setup/auth-client.js';
import { makeStrata } from '../helpers.js';

// Fixtures the token suites (tests/browser/session and tests/browser/oauth) share.

/** A fresh Strata of a test, as {@link eachTestStrata} hands it over. */
export interface TestStrata {
  strata: Strata;
  namespace: string;
  errors: StrataError[];
}

/** What a test registers with {@link eachTestStrata} to be let go of after it. */
export interface TestCleanup {
  /** TokenManagers disposed after each test. */
  managers: TokenManager[];
  /** Other Strata instances closed after each test. */
  open: Strata[];
}

/**
 * Before each test, a ready Strata on a fresh namespace (encrypted localStorage unless `options`
 * say otherwise), handed to `use`; after it, the managers and instances registered in the
 * returned lists are disposed and closed, and so is that Strata.
 */
export function eachTestStrata(
  use: (made: TestStrata) => void,
  options: StrataOptions = { defaultStorage: 'localStorage', encryption: { enabled: true } },
): TestCleanup {
  const cleanup: TestCleanup = { managers: [], open: [] };
  let current: Strata | undefined;
  beforeEach(async () => {
    const made = makeStrata(options);
    current = made.strata;
    use(made);
    await made.strata.ready();
  });
  afterEach(async () => {
    cleanup.managers.splice(0).forEach((manager) => manager.dispose());
    await Promise.all([current, ...cleanup.open.splice(0)].map((strata) => strata?.close()));
  });
  return cleanup;
}

/** A new user of the reference auth server at `server`, signed in: its name and tokens. */
export async function signInAt(
  server: string,
  label: string,
  options: { accessTtl?: number } = {},
): Promise<{ user: string; issued: Awaited<ReturnType<typeof login>>['tokens'] }> {
  const user = uniqueUser(label);
  const { tokens: issued } = await login(server, user, options);
  return { user, issued };
}
