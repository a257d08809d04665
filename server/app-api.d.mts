import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTVerifyGetKey } from 'jose';

/** Options of {@link createAppApi}. */
export interface AppApiOptions {
  /** The provider whose access tokens are accepted. */
  issuer: string;
  /** The `aud` the tokens must carry. */
  audience: string;
  /** Origins pages call the API from: CORS, and the origin of a proof's `htu`. */
  origins: string[];
  /** Default: the provider's `<issuer>/jwks`. */
  jwks?: JWTVerifyGetKey;
  /** Epoch ms. Default Date.now. */
  clock?: () => number;
  /**
   * How many proofs (jti) of the last two minutes the API remembers; when full it answers 503
   * with Retry-After. Default 100000.
   */
  maxProofs?: number;
}

/** The app API (`/api/me`, `/api/session/sync`, `/api/analytics`) as a request handler. */
export function createAppApi(
  options: AppApiOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
