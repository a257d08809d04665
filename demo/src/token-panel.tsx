import { useEffect, useState } from 'react';
import type { TokenStatus } from 'strata-storage';
import { tokens } from './sdk.js';

const seconds = (ms: number | null) => (ms === null ? '–' : `${Math.round(ms / 1000)} s`);
const clock = (at: number | null) => (at === null ? '–' : new Date(at).toLocaleTimeString());

/** The access token's life: countdown, proactive and forced refreshes, and an API call through TokenManager.fetch. */
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
    const body = response.ok ? ((await response.json()) as { user: { name: string } }) : null;
    setMe(body ? `HTTP ${response.status}: ${body.user.name}` : `HTTP ${response.status}`);
  }

  return (
    <section className="card">
      <h2>Access token</h2>
      <dl>
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
