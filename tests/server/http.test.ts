import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { login, uniqueUser } from '../setup/auth-client.js';
import { refresh, request, startServer, type TestServer } from './server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.server.close());

describe('CORS', () => {
  const app = 'http://app.example:3000';
  let allowing: TestServer;
  beforeAll(async () => {
    allowing = await startServer({ allowedOrigins: [`${app}/`] });
  });
  afterAll(() => allowing.server.close());

  test('a preflight from an allowed origin answers 204, allowing credentials, Authorization and JSON', async () => {
    const answer = await fetch(`${allowing.url}/api/session/sync`, {
      method: 'OPTIONS',
      headers: {
        Origin: app,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    });
    expect(answer.status).toBe(204);
    expect(
      Object.fromEntries(
        [...answer.headers].filter(([name]) => name.startsWith('access-control-')),
      ),
    ).toEqual({
      'access-control-allow-origin': app,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
    });
  });

  test('answers to an allowed origin carry it too, errors included', async () => {
    const answer = await request(allowing.url, '/api/me', { headers: { Origin: app } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('access-control-allow-origin')).toBe(app);
    expect(answer.headers.get('vary')).toBe('Origin');
  });
});

describe('bad requests', () => {
  test('invalid JSON answers 400 invalid_json; a JSON non-object 400 invalid_request', async () => {
    expect(await request(t.url, '/api/auth/login', { body: '{"username":' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_json' },
    });
    expect(await request(t.url, '/api/auth/refresh', { body: '[1,2]' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });

  test('a body over 64 KB answers 413', async () => {
    const answer = await request(t.url, '/api/analytics', {
      body: { events: [{ blob: 'x'.repeat(70_000) }] },
    });
    expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
  });

  test('unknown paths answer 404 and wrong methods 405', async () => {
    expect(await request(t.url, '/api/nope')).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
    const wrong = await request(t.url, '/api/auth/login');
    expect(wrong).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('logging', () => {
  test('logs method, path and status only: never a token', async () => {
    const lines: string[] = [];
    const logged = await startServer({ log: (line) => lines.push(line) });
    const consoleLines: unknown[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args) => {
      consoleLines.push(...args);
    });
    const viaConsole = await startServer({ log: true });
    try {
      const secrets: string[] = [];
      for (const server of [logged, viaConsole]) {
        const username = uniqueUser('log');
        const { tokens } = await login(server.url, username);
        const rotated = (await refresh(server.url, tokens.refreshToken)).body.tokens as {
          accessToken: string;
          refreshToken: string;
        };
        await refresh(server.url, tokens.refreshToken);
        await request(server.url, `/api/me?token=${tokens.accessToken}`, {
          token: rotated.accessToken,
        });
        await request(server.url, '/api/auth/logout', {
          body: { refreshToken: rotated.refreshToken },
        });
        secrets.push(
          tokens.accessToken,
          tokens.refreshToken,
          tokens.idToken,
          rotated.accessToken,
          rotated.refreshToken,
          'password',
        );
      }
      // The log line is written on the answer's 'finish' event, which may follow the body.
      await vi.waitFor(() => expect(lines).toHaveLength(5));
      expect(lines).toEqual([
        'POST /api/auth/login 200',
        'POST /api/auth/refresh 200',
        'POST /api/auth/refresh 401',
        'GET /api/me 401',
        'POST /api/auth/logout 204',
      ]);
      expect(consoleLines).toEqual(lines);
      const all = [...lines, ...consoleLines.map(String)].join('\n');
      for (const secret of secrets) expect(all).not.toContain(secret);
    } finally {
      spy.mockRestore();
      await logged.server.close();
      await viaConsole.server.close();
    }
  });
});

describe('static files', () => {
  test('serves staticDir with a fallback to index.html, never outside it, and never for /api', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-static-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>demo</title>');
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    const served = await startServer({ staticDir: join(dir) });
    try {
      const js = await fetch(`${served.url}/assets/app.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await js.text()).toBe('console.log(1)');
      for (const path of ['/', '/cart/42']) {
        const page = await fetch(`${served.url}${path}`);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<title>demo</title>');
      }
      // An encoded '../' that would leave the directory: 404, not a file from outside.
      const escape = await fetch(`${served.url}/..%2f..%2f..%2f..%2fetc%2fpasswd`);
      expect(escape.status).toBe(404);
      expect(await escape.text()).not.toContain('root:');
      expect((await request(served.url, '/api/unknown')).status).toBe(404);
    } finally {
      await served.server.close();
      await rm(dir, { recursive: true });
    }
  });
});

describe('server/cli.mjs', () => {
  test('prints its URL, serves, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        'server/cli.mjs',
        '--port',
        '0',
        '--test-controls',
        '--access-ttl',
        '60',
        '--allow-origin',
        'http://page.example:8080',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /auth server on (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on('exit', () => reject(new Error(`cli exited: ${out}`)));
      });
      const { tokens } = await login(url, uniqueUser('cli'));
      expect(tokens.expiresIn).toBe(60);
      const origin = (value: string) => ({ headers: { Origin: value }, token: tokens.accessToken });
      const allowed = await request(url, '/api/me', origin('http://page.example:8080'));
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://page.example:8080');
      expect((await request(url, '/api/me', origin('http://other.example'))).status).toBe(403);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
