/** Deterministic ≈1 KB session-like JSON value for key number `i`. */
export function sessionValue(i: number): Record<string, unknown> {
  const hex = (seed: number, len: number): string => {
    let out = '';
    let x = (seed * 2654435761) >>> 0;
    while (out.length < len) {
      x = (x ^ (x << 13)) >>> 0;
      x = (x ^ (x >>> 17)) >>> 0;
      x = (x ^ (x << 5)) >>> 0;
      out += x.toString(36);
    }
    return out.slice(0, len);
  };
  return {
    id: `sess_${i}_${hex(i, 10)}`,
    user: {
      id: `u${i}`,
      name: `User ${i}`,
      email: `user${i}@example.com`,
      roles: ['user', 'editor'],
      permissions: ['cart:write', 'profile:read', 'profile:write'],
    },
    tokens: {
      accessToken: `eyJhbGciOiJFUzI1NiJ9.${hex(i + 1, 280)}.${hex(i + 2, 86)}`,
      refreshToken: hex(i + 3, 64),
      expiresIn: 900,
      tokenType: 'Bearer',
    },
    prefs: {
      theme: i % 2 ? 'dark' : 'light',
      locale: 'en-GB',
      tz: 'Europe/London',
      notifications: { email: true, push: false },
    },
    cart: [
      { sku: `SKU-${i}-1`, qty: 1, price: 19.99 },
      { sku: `SKU-${i}-2`, qty: 3, price: 4.5 },
    ],
    flags: { beta: i % 3 === 0, onboarding: 'done' },
    lastSeen: 1_763_800_000_000 + i,
  };
}
