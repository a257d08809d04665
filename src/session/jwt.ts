/** The claims the SDK reads from a JWT. It never verifies signatures: servers do that. */
export interface JwtTimes {
  exp?: number;
  iat?: number;
}

/**
 * Reads `exp` and `iat` (seconds) from a JWT's payload; `undefined` for anything that is not a JWT.
 */
export function readJwtTimes(token: string): JwtTimes | undefined {
  const part = token.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const claims = JSON.parse(json) as Record<string, unknown>;
    const times: JwtTimes = {};
    if (typeof claims.exp === 'number') times.exp = claims.exp;
    if (typeof claims.iat === 'number') times.iat = claims.iat;
    return times;
  } catch {
    return undefined;
  }
}
