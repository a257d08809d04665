import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AuthSession, Strata } from 'strata-storage';
import { SessionProvider, useSession } from 'strata-storage/react';

// Server rendering: the hook reports 'loading' and nothing touches a browser API.
describe('strata-storage/react on the server', () => {
  it('renders status loading without touching browser globals', () => {
    const touched: string[] = [];
    const names = ['window', 'document', 'localStorage', 'sessionStorage', 'indexedDB'] as const;
    for (const name of names) Object.defineProperty(globalThis, name, { configurable: true, get: () => void touched.push(name) });
    try {
      const auth = new AuthSession({ storage: new Strata({ namespace: 'ssr', defaultStorage: 'localStorage' }) });
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
