import { Fragment, useCallback, useEffect, useState } from 'react';
import { readRaw, type Entry } from './raw-storage.js';
import { store } from './sdk.js';

const WIDE = '(min-width: 760px)';

const SHOWN: Record<Entry['kind'], string> = {
  sealed: 'encrypted',
  clear: 'in the clear',
  key: 'key',
  hashed: 'hashed',
};

/** A key name that wraps only after its separators (`:`, `/`, `.`), never mid-word. */
function KeyName({ name }: { name: string }) {
  const parts = name.split(/(?<=[:/.])/);
  return (
    <code className="key-name">
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </code>
  );
}

/** Shows what actually sits in the browser, and what of it an attacker with the profile reads. */
export function StorageInspector() {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  // The legend is open where it fits beside the entries, folded on a phone.
  const [wide, setWide] = useState(() => matchMedia(WIDE).matches);
  useEffect(() => {
    const query = matchMedia(WIDE);
    const follow = () => setWide(query.matches);
    query.addEventListener('change', follow);
    return () => query.removeEventListener('change', follow);
  }, []);
  const reload = useCallback(() => void readRaw().then(setEntries), []);
  useEffect(() => {
    reload();
    const stop = store.subscribe('', () => setTimeout(reload, 50));
    const onFocus = () => reload();
    window.addEventListener('focus', onFocus);
    return () => {
      stop();
      window.removeEventListener('focus', onFocus);
    };
  }, [reload]);
  const areas = [...new Set((entries ?? []).map((entry) => entry.area))];
  return (
    <section className="card wide">
      <div className="inspector-head">
        <h2>Storage inspector</h2>
        <button className="secondary" onClick={reload}>
          Reload
        </button>
      </div>
      <details className="legend" open={wide}>
        <summary>What is encrypted, hashed and in the clear</summary>
        <ul>
          <li>
            <span className="badge sealed">encrypted</span> Values, and the tags they carry, are
            sealed with AES-GCM under the device key (the tags are inside the ciphertext).
          </li>
          <li>
            <span className="badge clear">in the clear</span> Key names (so the user id in{' '}
            <code>user:alice:cart</code>), write times, expiry and TTL: anyone with the profile
            reads them.
          </li>
          <li>
            <span className="badge hashed">hashed</span> A pending sign-in is stored under a SHA-256
            of its state; the rotation marker is an HMAC under a non-extractable key.
          </li>
          <li>
            <span className="badge key">key</span> The device key and the DPoP private key are
            non-extractable CryptoKeys: page script cannot export them, though their bytes are in
            the profile&apos;s files.
          </li>
        </ul>
      </details>
      {entries !== null && entries.length === 0 && (
        <p className="hint" data-testid="inspector-empty">
          Nothing stored yet. Add something to the cart or sign in: the device key, the cart and the
          tokens appear here as the browser holds them.
        </p>
      )}
      <div data-testid="inspector" className="entries">
        {areas.map((area) => (
          <div key={area} className="area">
            <h3>{area}</h3>
            {entries
              ?.filter((entry) => entry.area === area)
              .map((entry) => (
                <div key={entry.key} className="entry" data-kind={entry.kind}>
                  <div className="entry-key">
                    <KeyName name={entry.key} />
                    <span className={`badge ${entry.kind}`}>{SHOWN[entry.kind]}</span>
                  </div>
                  <div className="entry-facts">{entry.facts.join(' · ')}</div>
                  <code className="entry-raw" title={entry.raw}>
                    {entry.raw}
                  </code>
                </div>
              ))}
          </div>
        ))}
      </div>
    </section>
  );
}
