import { createElement, version } from 'react';
import { renderToString, version as domVersion } from 'react-dom/server';
import { describe, expect, inject, it } from 'vitest';
import { AuthSession, Strata } from 'strata-storage';
import { SessionProvider, useSession } from 'strata-storage/react';

// Server rendering: the hook reports 'loading' and nothing touches a browser API.
describe('strata-storage/react on the server', () => {
  it('runs on the React major its Vitest project installs (19, and 18 from tests/react18)', () => {
    expect(Number(version.split('.')[0])).toBe(inject('reactMajor'));
    expect(Number(domVersion.split('.')[0])).toBe(inject('reactMajor'));
  });

  it('renders status loading without touching browser globals', () => {
    const touched: string[] = [];
    const names = ['window', 'document', 'localStorage', 'sessionStorage', 'indexedDB'] as const;
    for (const name of names)
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get: () => void touched.push(name),
      });
    try {
      const auth = new AuthSession({
        storage: new Strata({ namespace: 'ssr', defaultStorage: 'localStorage' }),
      });
      function Status() {
        const { status, isAuthenticated } = useSession();
        return createElement('output', null, `${status}:${isAuthenticated}`);
      }
      const html = renderToString(createElement(SessionProvider, { auth }, createElement(Status)));
      expect(html).toBe('<output>loading:false</output>');
    } finally {
      for (const name of names) delete (globalThis as Record<string, unknown>)[name];
    }
    expect(touched).toEqual([]);
  });
});
