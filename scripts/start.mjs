// `npm start`: the demo's authorization server (oidc-provider) with the app API, and the demo
// SPA (Vite, from source), on 127.0.0.1.
//   DEMO_PORT        the demo page, default 5173
//   DEMO_AUTH_PORT   the provider, its login page and the app API (the demo proxies /api to
//                    it), default 5174
//   DEMO_ACCESS_TTL  access token lifetime in seconds, default 60 (short, so refreshes show)
//   DEMO_INTROSPECTION_SECRET  registers the confidential client `strata-demo-introspection`
//                    with this secret (RFC 7662 introspection; the e2e spec uses it), default none
// A port already in use ends it with one message naming the port and its variable (no stack).
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const demoPort = port('DEMO_PORT', 5173);
const authPort = port('DEMO_AUTH_PORT', 5174);
const accessTtl = Number(process.env.DEMO_ACCESS_TTL ?? 60);
if (demoPort === authPort)
  fail(`DEMO_PORT and DEMO_AUTH_PORT are both ${demoPort}; give them two ports.`);
process.env.DEMO_AUTH_PORT = String(authPort); // read by demo/vite.config.ts

/** A port from the environment, or its default. */
function port(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    fail(`${name}=${raw} is not a port (1-65535).`);
  return value;
}

/** A message on stderr and exit 1: a start-up problem the user can fix, without a stack trace. */
function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

/** A port someone else holds: which one, which variable moves it, and an example. */
function portInUse(error, what, name, value) {
  const busy = error?.code === 'EADDRINUSE' || /already in use/i.test(String(error?.message));
  if (!busy) throw error;
  const other =
    name === 'DEMO_PORT' ? `DEMO_AUTH_PORT (now ${authPort})` : `DEMO_PORT (now ${demoPort})`;
  fail(
    `port ${value} on 127.0.0.1 (${what}, ${name}) is already in use: another \`npm start\`?\n` +
      `  Stop it, or pick another port: ${name}=${value + 100 > 65535 ? value - 100 : value + 100} npm start\n` +
      `  (the other port, ${other}, is set the same way.)`,
  );
}

// Both ports are bound before oidc-provider is imported: it prints a warning on import (an
// unsupported Node.js), which must not come before the one message of a busy port.
/** Listens on `port` of 127.0.0.1; a busy port ends start-up with its message. */
async function bind(server, port, what, name) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  }).catch((error) => portInUse(error, what, name, port));
}
const authServer = createHttpServer();
await bind(authServer, authPort, 'the auth server', 'DEMO_AUTH_PORT');
// The demo port is tried before Vite starts too: Vite may log (re-optimizing dependencies)
// before its listen fails. Vite's strictPort still catches a port taken in between.
const probe = createHttpServer();
await bind(probe, demoPort, 'the demo page', 'DEMO_PORT');
await new Promise((done) => probe.close(done));
const demo = await createServer({
  configFile: fileURLToPath(new URL('../demo/vite.config.ts', import.meta.url)),
  server: { port: demoPort },
});
await demo.listen().catch(async (error) => {
  await Promise.allSettled([demo.close(), new Promise((done) => authServer.close(done))]);
  portInUse(error, 'the demo page', 'DEMO_PORT', demoPort);
});

const { startOidcDemo } = await import('../server/oidc-demo.mjs');
// The demo page calls /api through its Vite proxy, which keeps the page's Origin.
const introspectionSecret = process.env.DEMO_INTROSPECTION_SECRET || undefined;
const auth = await startOidcDemo({
  server: authServer,
  accessTtl,
  demoOrigins: [`http://127.0.0.1:${demoPort}`, `http://localhost:${demoPort}`],
  ...(introspectionSecret ? { introspectionSecret } : {}),
});

console.log(
  `strata-storage demo: http://127.0.0.1:${demoPort}/  (auth server ${auth.url}: oidc-provider and the app API, access tokens live ${accessTtl} s)`,
);
console.log(
  "Sign in at the provider's page as alice / password. Open the page in two tabs to see sync and sign-out everywhere. Ctrl+C stops.",
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([demo.close(), auth.close()]);
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
