#!/usr/bin/env node
// Starts the reference auth server:
//   node server/cli.mjs [--port N] [--host H] [--static dir] [--test-controls] [--access-ttl s] [--refresh-ttl s]
//                       [--allow-origin http://host:port]... [--log]
// Browser pages may call it only from its own origin and each --allow-origin.
// Prints `auth server on <url>` and stops on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { createAuthServer } from './auth-server.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    static: { type: 'string' },
    'test-controls': { type: 'boolean', default: false },
    'access-ttl': { type: 'string' },
    'refresh-ttl': { type: 'string' },
    'allow-origin': { type: 'string', multiple: true, default: [] },
    log: { type: 'boolean', default: false },
  },
});

/** @param {string | undefined} value @param {string} name */
function number(value, name) {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    console.error(`auth server: --${name} must be a non-negative number`);
    process.exit(2);
  }
  return parsed;
}

const accessTtl = number(values['access-ttl'], 'access-ttl');
const refreshTtl = number(values['refresh-ttl'], 'refresh-ttl');
const server = await createAuthServer({
  port: number(values.port, 'port') ?? 0,
  host: values.host,
  testControls: values['test-controls'],
  log: values.log,
  allowedOrigins: values['allow-origin'],
  ...(values.static === undefined ? {} : { staticDir: values.static }),
  ...(accessTtl === undefined ? {} : { accessTtl }),
  ...(refreshTtl === undefined ? {} : { refreshTtl }),
});
console.log(`auth server on ${server.url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
