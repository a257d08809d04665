// Vitest globalSetup: starts the reference auth server (test controls on, random port) for
// one test project and provides its URL to the tests as `inject('authServerUrl')`.
import type { TestProject } from 'vitest/node';
import { createAuthServer } from '../../server/auth-server.mjs';

/** Starts the server; the returned function stops it after the run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await createAuthServer({
    testControls: true,
    port: 0,
    // The project's test page may call it: its server starts after this setup, so it is looked up per request.
    allowedOrigins: (origin) =>
      (project.browser?.vite.resolvedUrls?.local ?? []).some(
        (url) => new URL(url).origin === origin,
      ),
  });
  project.provide('authServerUrl', server.url);
  return () => server.close();
}
