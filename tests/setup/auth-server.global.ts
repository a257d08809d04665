// Vitest globalSetup: starts the reference auth server (test controls on, random port) for
// one test project and provides its URL to the tests as `inject('authServerUrl')`.
import type { TestProject } from 'vitest/node';
import { createAuthServer } from '../../server/auth-server.mjs';

/** Starts the server; the returned function stops it after the run. */
export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const server = await createAuthServer({ testControls: true, port: 0 });
  provide('authServerUrl', server.url);
  return () => server.close();
}
