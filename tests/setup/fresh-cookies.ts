import { afterEach } from 'vitest';

// Every namespace a test writes leaves its eviction cookie (400 days) and WebKit keeps them all:
// over a run the Cookie header outgrew what the test server takes (431). Each test starts clean.
afterEach(() => {
  for (const entry of document.cookie.split('; ')) {
    const name = entry.slice(0, entry.indexOf('='));
    if (name !== '') document.cookie = `${name}=; max-age=0; path=/`;
  }
});
