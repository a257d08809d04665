// Static files of the reference auth server, with a single-page-app fallback to index.html.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** @type {Record<string, string>} */
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Serves `pathname` from `dir`; a missing file answers `dir/index.html` (SPA fallback).
 * Paths escaping `dir` answer 404.
 * @param {string} dir
 * @param {string} pathname URL path (still percent-encoded)
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
export async function serveStatic(dir, pathname, req, res) {
  const root = resolve(dir);
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    decoded = '/';
  }
  const candidate = resolve(join(root, decoded));
  const inside = candidate === root || candidate.startsWith(root + sep);
  const file = inside ? await fileAt(candidate) : undefined;
  const served = file ?? (inside ? await fileAt(join(root, 'index.html')) : undefined);
  if (!served) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not found');
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(served.path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': served.size,
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(served.path).pipe(res);
}

/** @param {string} path */
async function fileAt(path) {
  try {
    let info = await stat(path);
    if (info.isDirectory()) {
      path = join(path, 'index.html');
      info = await stat(path);
    }
    return info.isFile() ? { path, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}
