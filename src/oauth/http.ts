import * as oauth from 'oauth4webapi';
import { StrataError } from '../errors.js';

/** Loopback hosts, where plain HTTP never leaves the machine (RFC 8252 §8.3). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True when `url` may be requested over plain HTTP: a loopback address. */
export function isLoopback(url: string | URL): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** What every oauth4webapi request gets: the fetch, and HTTP allowed on loopback only. */
export interface RequestOptions {
  [oauth.customFetch]: (
    url: string,
    init: oauth.CustomFetchOptions<string, unknown>,
  ) => Promise<Response>;
  [oauth.allowInsecureRequests]?: boolean;
}

/**
 * The options oauth4webapi calls `fetch` with. `timeout` bounds the wait for the response
 * headers only: once they arrived the body is read to its end, so an answer that rotated a
 * refresh token is never cut short by a timer. A timeout rejects with `TIMEOUT`, a network
 * failure with `NETWORK` (no URL parameter or body in the message).
 */
export function requestOptions(
  doFetch: typeof fetch,
  timeout: number,
  loopback: boolean,
): RequestOptions {
  const options: RequestOptions = {
    [oauth.customFetch]: async (url, init) => {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeout);
      const own = init.signal;
      if (own?.aborted) controller.abort();
      own?.addEventListener('abort', () => controller.abort(), { once: true });
      try {
        return await doFetch(url, { ...(init as RequestInit), signal: controller.signal });
      } catch (error) {
        if (timedOut)
          throw new StrataError(
            'TIMEOUT',
            `The authorization server did not answer within ${timeout} ms.`,
          );
        throw new StrataError('NETWORK', 'The authorization server could not be reached.', {
          cause: error instanceof Error ? new Error(error.name) : undefined,
        });
      } finally {
        clearTimeout(timer);
      }
    },
  };
  if (loopback) options[oauth.allowInsecureRequests] = true;
  return options;
}
