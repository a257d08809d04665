import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';

// `npm start` (scripts/start.mjs) when a port is taken: one message naming the port, the
// variable that moves it and an example, exit 1, no stack trace; with free ports it serves.
const script = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** A port of 127.0.0.1 held open by this test, as another program would hold it. */
async function holdPort(): Promise<number> {
  const server = createServer();
  held.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Runs start.mjs with these variables. `ready`: once its stdout says "Ctrl+C stops.", this is
 * called, then the process is sent SIGTERM.
 */
function start(env: Record<string, string>, ready?: () => Promise<void>) {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, FORCE_COLOR: '0' },
    // stdin kept open: Vite's dev server stops when its stdin ends.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    if (ready && stdout.includes('Ctrl+C stops.')) {
      const once = ready;
      ready = undefined;
      void once().finally(() => child.kill('SIGTERM'));
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** Whether this port of 127.0.0.1 can be listened on now. */
function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const STACK_LINE = /^\s+at .+\(?.+:\d+:\d+\)?$/m;

describe('npm start on a busy port', () => {
  test('the demo port taken: names it and DEMO_PORT, exits 1 without a stack trace', async () => {
    const demo = await holdPort();
    const auth = await freePort();
    const run = await start({ DEMO_PORT: String(demo), DEMO_AUTH_PORT: String(auth) });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`port ${demo} on 127.0.0.1 (the demo page, DEMO_PORT)`);
    expect(run.stderr).toContain(`DEMO_PORT=${demo + 100} npm start`);
    expect(run.stderr).toContain(`DEMO_AUTH_PORT (now ${auth})`);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.stderr).not.toContain('oidc-provider WARNING');
    expect(run.stderr.trim().split('\n')).toHaveLength(3);
  });

  test('the auth port taken: names it and DEMO_AUTH_PORT, exits 1 without a stack trace', async () => {
    const auth = await holdPort();
    const demo = await freePort();
    const run = await start({ DEMO_PORT: String(demo), DEMO_AUTH_PORT: String(auth) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`port ${auth} on 127.0.0.1 (the auth server, DEMO_AUTH_PORT)`);
    expect(run.stderr).toContain(`DEMO_AUTH_PORT=${auth + 100} npm start`);
    expect(run.stderr).toContain(`DEMO_PORT (now ${demo})`);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.stderr).not.toContain('oidc-provider WARNING');
    expect(run.stderr.trim().split('\n')).toHaveLength(3);
  });

  test('a port that is not a number, or the same port twice, is said so', async () => {
    const bad = await start({ DEMO_PORT: 'eighty', DEMO_AUTH_PORT: '5999' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('npm start: DEMO_PORT=eighty is not a port (1-65535).');
    const same = await start({ DEMO_PORT: '5999', DEMO_AUTH_PORT: '5999' });
    expect(same.code).toBe(1);
    expect(same.stderr.trim()).toBe(
      'npm start: DEMO_PORT and DEMO_AUTH_PORT are both 5999; give them two ports.',
    );
  });

  test('with free ports it serves the demo on DEMO_PORT and stops on SIGTERM', async () => {
    const demo = await freePort();
    const auth = await freePort();
    let page = 0;
    const run = await start({ DEMO_PORT: String(demo), DEMO_AUTH_PORT: String(auth) }, async () => {
      page = (await fetch(`http://127.0.0.1:${demo}/`)).status;
    });
    expect(page).toBe(200);
    expect(run.stdout).toContain(`strata-storage demo: http://127.0.0.1:${demo}/`);
    expect(run.stdout).toContain(`auth server http://127.0.0.1:${auth}`);
    // Vite's own SIGTERM handler exits 128 + 15; either way both ports are released.
    expect([0, 143]).toContain(run.code);
    expect(await canListen(demo)).toBe(true);
    expect(await canListen(auth)).toBe(true);
  });
});
