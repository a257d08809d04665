// Small HTTP helpers of the reference auth server: JSON bodies, JSON answers, CORS for an
// allow-list of origins.
// Plain node:http, no framework.

/** Largest request body the server reads (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/** An error that answers with `status` and the JSON `body`. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {Record<string, unknown>} body
   * @param {Record<string, string>} [headers] extra answer headers, e.g. Retry-After
   */
  constructor(status, body, headers = {}) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/**
 * Reads the request body as JSON (whatever its Content-Type, so `navigator.sendBeacon`
 * text bodies work). An empty body is `{}`. Too large → 413, not JSON or not an object → 400.
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Record<string, unknown>>}
 */
export async function readJson(req) {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, { error: 'payload_too_large' });
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, { error: 'payload_too_large' });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, {
      error: 'invalid_json',
      message: 'The request body is not valid JSON.',
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, {
      error: 'invalid_request',
      message: 'The request body must be a JSON object.',
    });
  }
  return value;
}

/**
 * Writes a JSON answer (or an empty one for 204).
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} [body]
 * @param {Record<string, string>} [headers]
 */
export function sendJson(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  if (status === 204 || body === undefined) {
    res.writeHead(status, { ...headers, 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/**
 * The origins a browser page may call the server from: each entry as `new URL(entry).origin`
 * serializes it, so `http://localhost:5173/` and `http://localhost:5173` are one origin.
 * @param {Iterable<string>} origins
 * @returns {Set<string>}
 */
export function originSet(origins) {
  const set = new Set();
  for (const entry of origins) {
    const { origin } = new URL(entry);
    // 'null' (opaque origins: sandboxed frames, file:) would match every such page at once.
    if (origin === 'null')
      throw new TypeError(`allowedOrigins: ${entry} has no origin of its own.`);
    set.add(origin);
  }
  return set;
}

/**
 * Sets the CORS headers for an allowed Origin, and none for any other. Answers whether the
 * request may proceed: true without an Origin header (not a browser, or a same-origin GET).
 * Never sends Access-Control-Allow-Private-Network: a public page gets no way into the loopback server.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {(origin: string) => boolean} isAllowed
 * @param {{ credentials?: boolean }} [options] `credentials`: send
 *   Access-Control-Allow-Credentials (cookies), default true
 * @returns {boolean}
 */
export function applyCors(req, res, isAllowed, { credentials = true } = {}) {
  const origin = req.headers.origin;
  res.setHeader('Vary', 'Origin');
  if (origin === undefined) return true;
  if (typeof origin !== 'string' || !isAllowed(origin)) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  if (credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
  }
  return true;
}

/**
 * The Bearer token of the request, or undefined.
 * @param {import('node:http').IncomingMessage} req
 * @returns {string | undefined}
 */
export function bearerToken(req) {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
