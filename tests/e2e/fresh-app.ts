import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeBlock } from '../readme/blocks.mjs';

// The package as a user gets it (package.spec.ts): `npm pack` in a copy of the tree that has
// no dist/ (as a fresh clone: `prepack` must build it), then the tarball installed into a
// fresh Vite + React + TypeScript app (tests/e2e/fresh-app) with `npm ci --offline`: the
// app's lockfile pins the repo's own versions of react, react-dom, vite, typescript, … (taken
// from package-lock.json), so every tarball comes from the npm cache that `npm ci` of this
// repo filled, and nothing is downloaded.

const repo = fileURLToPath(new URL('../..', import.meta.url));
const template = fileURLToPath(new URL('./fresh-app', import.meta.url));

/** What the fresh app installs besides the tarball, at the repo's versions. */
const APP_DEPENDENCIES = ['react', 'react-dom', 'zustand'];
const APP_DEV_DEPENDENCIES = [
  'vite',
  '@vitejs/plugin-react',
  'typescript',
  '@types/react',
  '@types/react-dom',
];

type LockEntry = {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
};

const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', FORCE_COLOR: '0' },
  });

/**
 * Copies the tracked and untracked-but-not-ignored files of the working tree into `dir`
 * (what a clone of it holds: no dist/, no node_modules), links the repo's node_modules for
 * the build tools, and runs `npm pack` there. Returns the tarball's path and packed files.
 */
export function packFromCleanTree(dir: string): { tarball: string; files: string[] } {
  const tree = path.join(dir, 'tree');
  const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repo)
    .split('\0')
    .filter((file) => file && existsSync(path.join(repo, file)));
  for (const file of listed) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    cpSync(path.join(repo, file), path.join(tree, file));
  }
  if (existsSync(path.join(tree, 'dist'))) throw new Error('the copied tree has a dist/');
  symlinkSync(path.join(repo, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
  const out = path.join(dir, 'packed');
  mkdirSync(out);
  // The prepack build's own output comes first on stdout; npm's JSON report is last.
  const stdout = `\n${run('npm', ['pack', '--json', '--pack-destination', out], tree)}`;
  const [packed] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[\n'))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return {
    tarball: path.join(out, packed!.filename),
    files: packed!.files.map((file) => file.path),
  };
}

/** The repo's lock entries the given packages need, at the same paths (node_modules layout). */
function lockClosure(names: string[]): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const resolve = (name: string, from: string): string | undefined => {
    for (let base = from; ;) {
      const key = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock.packages[key]) return key;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  const closure: Record<string, LockEntry> = {};
  const visit = (name: string, from: string, optional: boolean): void => {
    const key = resolve(name, from);
    if (!key) {
      if (optional) return;
      throw new Error(`${name} (needed by ${from || 'the app'}) is not in package-lock.json`);
    }
    if (closure[key]) return;
    const { dev, devOptional, peer, ...entry } = lock.packages[key]!;
    void [dev, devOptional, peer];
    if (entry.link) throw new Error(`${key} is a workspace link in package-lock.json`);
    closure[key] = entry;
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(dep, key, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(dep, key, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {}))
      visit(dep, key, entry.peerDependenciesMeta?.[dep]?.optional === true);
  };
  for (const name of names) visit(name, '', false);
  return closure;
}

/**
 * The README's quick-start block as written, as the app's src/quick-start.ts (in place of the
 * template's declarations): `report`, which the README leaves to the app, collects codes.
 */
function writeQuickStart(app: string): void {
  const { code } = readmeBlock(readFileSync(path.join(repo, 'README.md'), 'utf8'), 'quick-start');
  const src = path.join(app, 'src');
  rmSync(path.join(src, 'quick-start.d.ts'));
  writeFileSync(
    path.join(src, 'quick-start.ts'),
    [
      '// Written by tests/e2e/fresh-app.ts: the quick start of README.md, as written.',
      'export const errors: string[] = [];',
      'const report = (code: string): void => void errors.push(code);',
      code,
      'export { store, cart, stop };',
      '',
    ].join('\n'),
  );
}

/**
 * A fresh Vite + React + TypeScript app in `dir` with `tarball` installed by
 * `npm ci --offline --ignore-scripts` (the lockfile is made from the repo's).
 */
export function installFreshApp(dir: string, tarball: string): string {
  const app = path.join(dir, 'app');
  cpSync(template, app, { recursive: true });
  writeQuickStart(app);
  const file = path.basename(tarball);
  cpSync(tarball, path.join(app, file));
  const manifest = JSON.parse(
    run('tar', ['-xzOf', file, 'package/package.json'], app),
  ) as LockEntry & { name: string; version: string };
  const version = (name: string): string =>
    (
      JSON.parse(readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  const pin = (names: string[]) => Object.fromEntries(names.map((name) => [name, version(name)]));
  const dependencies = { [manifest.name]: `file:${file}`, ...pin(APP_DEPENDENCIES) };
  const devDependencies = pin(APP_DEV_DEPENDENCIES);
  const pkg = { name: 'fresh-app', private: true, version: '0.0.0', type: 'module' };
  writeFileSync(
    path.join(app, 'package.json'),
    `${JSON.stringify({ ...pkg, dependencies, devDependencies }, null, 2)}\n`,
  );
  const own = Object.keys(manifest.dependencies ?? {});
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
    (name) => !manifest.peerDependenciesMeta?.[name]?.optional,
  );
  const packages: Record<string, LockEntry> = {
    '': { name: pkg.name, version: pkg.version, dependencies, devDependencies },
    ...lockClosure([...APP_DEPENDENCIES, ...APP_DEV_DEPENDENCIES, ...own, ...peers]),
    [`node_modules/${manifest.name}`]: {
      version: manifest.version,
      resolved: `file:${file}`,
      integrity: `sha512-${createHash('sha512')
        .update(readFileSync(path.join(app, file)))
        .digest('base64')}`,
      license: manifest['license'],
      ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
      ...(manifest.peerDependencies ? { peerDependencies: manifest.peerDependencies } : {}),
      ...(manifest.peerDependenciesMeta
        ? { peerDependenciesMeta: manifest.peerDependenciesMeta }
        : {}),
      ...(manifest['engines'] ? { engines: manifest['engines'] } : {}),
    },
  };
  writeFileSync(
    path.join(app, 'package-lock.json'),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
  try {
    run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? error);
    throw new Error(
      `npm ci --offline of the fresh app failed (a tarball missing from the npm cache? run \`npm ci\` in the repo first):\n${stderr}`,
    );
  }
  return app;
}

/** `tsc` (strict, the declarations checked too) and `vite build` in the app: their output. */
export function buildFreshApp(app: string): { tsc: string; vite: string } {
  const bin = (name: string) => path.join(app, 'node_modules', '.bin', name);
  return {
    tsc: run(bin('tsc'), ['-p', 'tsconfig.json'], app),
    vite: run(bin('vite'), ['build'], app),
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

/** Serves the app's dist/ on a free port of 127.0.0.1 (no port of anyone else's taken). */
export async function serveBuilt(app: string): Promise<{ url: string; server: Server }> {
  const root = path.join(app, 'dist');
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const file = path.join(root, url.pathname === '/' ? 'index.html' : url.pathname);
    if (!file.startsWith(root) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'text/plain' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}
