// The demo's back end on one port of 127.0.0.1: the authorization server (oidc-provider, see
// demo-provider.mjs), its login page (login-interaction.mjs) and the app API under /api
// (app-api.mjs), which the demo page reaches through its Vite proxy.
import { createServer } from 'node:http';
import { API_AUDIENCE, createDemoProvider } from './demo-provider.mjs';
import { createAppApi } from './app-api.mjs';
import { loginInteraction } from './login-interaction.mjs';

/**
 * Starts the provider and the app API.
 * @param {{
 *   port?: number,
 *   demoOrigins: string[],
 *   accessTtl?: number,
 *   introspectionSecret?: string,
 *   clock?: () => number,
 *   server?: import('node:http').Server,
 * }} options `port`: default 0 (any free port); `server`: a node:http server already listening
 *   on 127.0.0.1 to serve on instead (`port` is then not used; close() closes it); `demoOrigins`: the demo page's origins (redirect
 *   URIs `<origin>/`, CORS, the API's htu); `accessTtl`: seconds, default 60; `clock`: the app
 *   API's and the login limit's time (the provider keeps its own).
 * @returns {Promise<{ url: string, issuer: string, close(): Promise<void> }>}
 */
export async function startOidcDemo({
  port = 0,
  demoOrigins,
  accessTtl,
  introspectionSecret,
  clock,
  server = createServer(),
}) {
  if (!server.listening)
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(undefined));
    });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = await createDemoProvider({
    issuer,
    demoOrigins,
    accessTtl,
    introspectionSecret,
  });
  const login = loginInteraction(provider, { clock });
  const api = createAppApi({
    issuer,
    audience: API_AUDIENCE,
    origins: [...demoOrigins, issuer],
    clock,
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const handled = url.pathname.startsWith('/interaction/')
      ? login(req, res, url)
      : url.pathname.startsWith('/api/')
        ? api(req, res)
        : callback(req, res);
    Promise.resolve(handled).catch(() => {
      // oidc-provider renders its own errors; this is ours failing: no detail leaves the server.
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('server error');
    });
  });
  return {
    url: issuer,
    issuer,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
