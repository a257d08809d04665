/** The claims the SDK reads from a JWT. It never verifies signatures: servers do that. */
export interface JwtTimes {
  exp?: number;
  iat?: number;
}

/**
 * The payload of a JWT as an object, unverified; `undefined` for anything that is not a JWT.
 */
export function readJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads `exp` and `iat` (seconds) from a JWT's payload; `undefined` for anything that is not a JWT.
 */
export function readJwtTimes(token: string): JwtTimes | undefined {
  const claims = readJwtPayload(token);
  if (claims === undefined) return undefined;
  const times: JwtTimes = {};
  if (typeof claims.exp === 'number') times.exp = claims.exp;
  if (typeof claims.iat === 'number') times.iat = claims.iat;
  return times;
}
