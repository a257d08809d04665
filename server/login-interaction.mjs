// The demo provider's login page: oidc-provider hands the browser to /interaction/<uid>, this
// answers a plain HTML form and checks its POST (alice / password), with the reference server's
// login rate limit. A wrong password shows the form again; the limit answers 429.
import { LoginLimiter } from './login-limit.mjs';
import { findAccount } from './demo-provider.mjs';

const PASSWORD = 'password';
const MAX_FORM_BYTES = 4096;

/**
 * The interaction routes of `provider`: `GET /interaction/<uid>` (the form) and
 * `POST /interaction/<uid>/login`.
 * @param {import('oidc-provider').default} provider
 * @param {{ clock?: () => number, loginLimit?: { perUsername: number, perAddress: number, windowMs: number } }} [options]
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL) => Promise<void>}
 */
export function loginInteraction(provider, options = {}) {
  const limiter = new LoginLimiter({
    perUsername: 5,
    perAddress: 20,
    windowMs: 60_000,
    ...options.loginLimit,
    clock: options.clock ?? Date.now,
  });
  return async (req, res, url) => {
    const details = await provider.interactionDetails(req, res).catch(() => undefined);
    if (details === undefined)
      return page(res, 400, {
        text: 'This sign-in has expired. Start it again from the demo page.',
      });
    const [, , uid, action] = url.pathname.split('/');
    if (uid !== details.uid) return page(res, 400, { text: 'This sign-in page is out of date.' });
    if (details.prompt.name !== 'login')
      return page(res, 400, { text: `Unexpected step: ${details.prompt.name}.` });
    if (req.method === 'GET' && action === undefined) return form(res, 200, uid);
    if (req.method !== 'POST' || action !== 'login')
      return page(res, 405, { text: 'Not allowed.' });
    const fields = new URLSearchParams(await readForm(req));
    const login = fields.get('login') ?? '';
    const address = req.socket.remoteAddress ?? 'unknown';
    const wait = limiter.retryAfter(login, address);
    if (wait > 0) {
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      return form(res, 429, uid, 'Too many failed sign-ins. Wait a minute and try again.', login);
    }
    if (findAccount(login) === undefined || fields.get('password') !== PASSWORD) {
      limiter.failed(login, address);
      return form(res, 401, uid, 'Wrong username or password.', login);
    }
    limiter.succeeded(login);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: login } },
      { mergeWithLastSubmission: false },
    );
  };
}

/** @param {import('node:http').IncomingMessage} req */
async function readForm(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_FORM_BYTES) break;
  }
  return text.slice(0, MAX_FORM_BYTES);
}

/** @param {string} text */
const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The login form, with `error` above it.
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} uid
 * @param {string} [error]
 * @param {string} [login] the username typed last, typed again for the user
 */
function form(res, status, uid, error, login = '') {
  const alert = error ? `<p class="error" role="alert">${escape(error)}</p>` : '';
  page(res, status, {
    html: `<h1>Sign in to the strata-storage demo</h1>
    <p class="hint">This page is the authorization server's (oidc-provider), not the demo's: the
    demo never sees your password.</p>
    ${alert}
    <form method="post" action="/interaction/${escape(uid)}/login">
      <label>Username <input name="login" value="${escape(login)}" autocomplete="username" required autofocus /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      <button type="submit">Sign in</button>
    </form>
    <p class="hint">Demo account: <b>alice</b> / <b>password</b>.</p>`,
  });
}

/**
 * An HTML page with the markup `html` (ours only), or the message `text`, escaped.
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {{ html: string } | { text: string }} body
 */
function page(res, status, body) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Sign in · demo provider</title><style>${STYLE}</style></head>
<body><main>${'html' in body ? body.html : `<p>${escape(body.text)}</p>`}</main></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    // No form-action: Chromium applies it to the redirects back to the demo page too.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'X-Frame-Options': 'DENY',
  });
  res.end(html);
}

const STYLE = `body{margin:0;font-family:system-ui,sans-serif;background:#f3f5f8;color:#1d2733}
main{max-width:360px;margin:48px auto;padding:24px;background:#fff;border-radius:10px;box-shadow:0 1px 3px rgb(0 0 0/8%)}
h1{font-size:1.2rem;margin:0 0 8px}form{display:grid;gap:12px}label{display:grid;gap:4px;font-size:.9rem}
input{padding:8px 10px;border:1px solid #c5ced8;border-radius:6px;font:inherit}
button{background:#2f5d8a;color:#fff;border:0;border-radius:6px;padding:9px 14px;font:inherit;cursor:pointer}
.hint{color:#5b6978;font-size:.85rem}.error{color:#b42318;font-weight:600}`;
