// Small HTTP helpers of the reference auth server: JSON bodies, JSON answers, CORS.
// Plain node:http, no framework.

/** Largest request body the server reads (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/** An error that answers with `status` and the JSON `body`. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {Record<string, unknown>} body
   */
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
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
 */
export function sendJson(res, status, body) {
  if (res.headersSent || res.destroyed) return;
  if (status === 204 || body === undefined) {
    res.writeHead(status, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/**
 * Sets the CORS headers: reflects the request Origin and allows credentials.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
export function applyCors(req, res) {
  const origin = req.headers.origin;
  res.setHeader('Vary', 'Origin');
  if (typeof origin !== 'string' || origin === '') return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
    if (req.headers['access-control-request-private-network'] === 'true') {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
  }
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
