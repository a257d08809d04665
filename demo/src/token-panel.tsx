import { useEffect, useState } from 'react';
import type { TokenStatus } from 'strata-storage';
import { oauth, tokens } from './sdk.js';

const seconds = (ms: number | null) => (ms === null ? '–' : `${Math.round(ms / 1000)} s`);
const clock = (at: number | null) => (at === null ? '–' : new Date(at).toLocaleTimeString());

/**
 * The access token's life: its type (DPoP: bound to the key in the storage inspector), countdown,
 * proactive and forced refreshes, and an API call through TokenManager.fetch with a DPoP proof.
 */
export function TokenPanel() {
  const [status, setStatus] = useState<TokenStatus>(() => tokens.status());
  const [refreshes, setRefreshes] = useState(0);
  const [me, setMe] = useState<string>('not called yet');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const tick = setInterval(() => setStatus(tokens.status()), 500);
    const stops = [
      tokens.on('refreshed', () => {
        setRefreshes((n) => n + 1);
        setStatus(tokens.status());
      }),
      tokens.on('refreshFailed', ({ error: failure, willRetry }) =>
        setError(`${failure.code}${willRetry ? ', retrying' : ''}`),
      ),
    ];
    void tokens.getTokens().then(() => setStatus(tokens.status()));
    return () => {
      clearInterval(tick);
      stops.forEach((stop) => stop());
    };
  }, []);

  async function forceRefresh() {
    setError(null);
    await tokens
      .refresh({ force: true })
      .catch((failure: { code?: string }) => setError(failure.code ?? 'failed'));
  }

  async function callMe() {
    const response = await tokens.fetch('/api/me');
    const body = (await response.json().catch(() => null)) as {
      user?: { name: string };
      tokenType?: string;
      reason?: string;
    } | null;
    setMe(
      response.ok
        ? `HTTP ${response.status}: ${body?.user?.name} (${body?.tokenType} token, proof checked)`
        : `HTTP ${response.status}${body?.reason ? `: ${body.reason}` : ''}`,
    );
  }

  return (
    <section className="card">
      <h2>Access token</h2>
      <dl>
        <dt>Token type</dt>
        <dd data-testid="token-type">{oauth.tokenType}</dd>
        <dt>Valid</dt>
        <dd data-testid="token-valid">{status.isValid ? 'yes' : 'no'}</dd>
        <dt>Expires in</dt>
        <dd data-testid="token-expires-in">{seconds(status.timeUntilExpiry)}</dd>
        <dt>Expires at</dt>
        <dd data-testid="token-expires-at" data-at={status.expiresAt ?? ''}>
          {clock(status.expiresAt)}
        </dd>
        <dt>Refreshes at</dt>
        <dd>{clock(status.refreshAt)}</dd>
        <dt>Last refresh</dt>
        <dd>{clock(status.lastRefreshAt)}</dd>
        <dt>Refreshes seen here</dt>
        <dd data-testid="token-refreshes">{refreshes}</dd>
        <dt>Proactive refresh</dt>
        <dd>{status.isRunning ? 'on' : 'off'}</dd>
      </dl>
      {oauth.dpop && (
        <p className="hint">
          DPoP: the tokens are bound to this browser&apos;s key pair (in the inspector below), and
          every request carries a proof signed by it: a copied token is useless without the key.
        </p>
      )}
      <div className="buttons">
        <button onClick={() => void forceRefresh()}>Force refresh</button>
        <button onClick={() => void callMe()}>Call /api/me</button>
      </div>
      <p data-testid="me-result">/api/me: {me}</p>
      {error && (
        <p className="error" role="alert">
          Refresh failed: {error}
        </p>
      )}
    </section>
  );
}
