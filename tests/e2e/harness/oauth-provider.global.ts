// Playwright globalSetup: the oidc-provider and resource server of the Vitest OAuth tests
// (tests/setup/oidc-provider.global.ts, the same configuration), for the multi-tab OAuth specs.
// Ports: STRATA_E2E_OIDC_PORT and STRATA_E2E_OIDC_RS_PORT, default 0 (any free port, so runs that
// share a machine never collide). The URLs reach the workers as STRATA_E2E_OIDC_ISSUER and
// STRATA_E2E_OIDC_RS (environment set here is inherited by the test workers).
import { startOidcServers } from '../../setup/oidc-provider.global.js';

/** Starts the servers; the returned function stops them after the run. */
export default async function setup(): Promise<() => Promise<void>> {
  const servers = await startOidcServers({
    port: Number(process.env.STRATA_E2E_OIDC_PORT ?? 0),
    resourcePort: Number(process.env.STRATA_E2E_OIDC_RS_PORT ?? 0),
  });
  process.env.STRATA_E2E_OIDC_ISSUER = servers.issuer;
  process.env.STRATA_E2E_OIDC_RS = servers.resourceServerUrl;
  return () => servers.close();
}
