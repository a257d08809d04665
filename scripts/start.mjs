// `npm start`: the reference auth server and the demo SPA (Vite, from source) on 127.0.0.1.
//   DEMO_PORT        the demo page, default 5173
//   DEMO_AUTH_PORT   the auth server the demo proxies /api to, default 5174
//   DEMO_ACCESS_TTL  access token lifetime in seconds, default 60 (short, so refreshes show)
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { createAuthServer } from '../server/auth-server.mjs';

const demoPort = Number(process.env.DEMO_PORT ?? 5173);
const authPort = Number(process.env.DEMO_AUTH_PORT ?? 5174);
const accessTtl = Number(process.env.DEMO_ACCESS_TTL ?? 60);
process.env.DEMO_AUTH_PORT = String(authPort); // read by demo/vite.config.ts

// The demo page calls /api through its Vite proxy, which keeps the page's Origin header.
const auth = await createAuthServer({
  port: authPort,
  accessTtl,
  allowedOrigins: [`http://127.0.0.1:${demoPort}`, `http://localhost:${demoPort}`],
});
const demo = await createServer({
  configFile: fileURLToPath(new URL('../demo/vite.config.ts', import.meta.url)),
  server: { port: demoPort },
});
await demo.listen();

console.log(
  `strata-storage demo: http://127.0.0.1:${demoPort}/  (auth server ${auth.url}, access tokens live ${accessTtl} s)`,
);
console.log(
  'Sign in as alice / password. Open the page in two tabs to see sync and sign-out everywhere. Ctrl+C stops.',
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
