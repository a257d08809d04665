import { useSession, useStrataValue } from 'strata-storage/react';
import type { MergeNote } from './callback.js';
import { cartKey, store, type CartItem } from './sdk.js';

const PRODUCTS = [
  { id: 'apple', name: 'Apple' },
  { id: 'pear', name: 'Pear' },
  { id: 'plum', name: 'Plum' },
];

/** What a sign-in's cart merge did, in a sentence. */
function describe(note: MergeNote): string {
  const parts = [
    ...note.added.map(
      (line) =>
        `${line.name}: your ${line.total - line.guest} + ${line.guest} from the guest cart = ${line.total}`,
    ),
    ...note.moved.map((line) => `${line.name} × ${line.qty} moved over`),
  ];
  return parts.length === 0
    ? 'The guest cart was empty: nothing to merge.'
    : `Your guest cart was merged into your cart. ${parts.join('; ')}.`;
}

/** The cart of the guest or of the signed-in user, live across tabs. */
export function Cart(props: { merge: MergeNote | null }) {
  const { session } = useSession();
  const [cart, setCart] = useStrataValue<CartItem[]>(store, cartKey(session?.userId));
  const items = cart ?? [];

  function add(product: { id: string; name: string }) {
    const existing = items.find((item) => item.id === product.id);
    const next = existing
      ? items.map((item) => (item.id === product.id ? { ...item, qty: item.qty + 1 } : item))
      : [...items, { ...product, qty: 1 }];
    void setCart(next);
  }

  return (
    <section className="card">
      <h2>{session ? 'Your cart' : 'Guest cart'}</h2>
      {session && props.merge && (
        <p className="note" data-testid="merge-note">
          {describe(props.merge)}
        </p>
      )}
      <div className="buttons">
        {PRODUCTS.map((product) => (
          <button key={product.id} onClick={() => add(product)}>
            Add {product.name.toLowerCase()}
          </button>
        ))}
        {items.length > 0 && (
          <button className="secondary" onClick={() => void setCart(null)}>
            Empty
          </button>
        )}
      </div>
      {items.length === 0 ? (
        <p className="hint" data-testid="cart-empty">
          The cart is empty.
        </p>
      ) : (
        <ul data-testid="cart">
          {items.map((item) => (
            <li key={item.id} data-testid={`cart-${item.id}`}>
              {item.name} × {item.qty}
            </li>
          ))}
        </ul>
      )}
      <p className="hint">
        Stored under <code>{cartKey(session?.userId)}</code>, encrypted, and synced to your other
        tabs.
      </p>
    </section>
  );
}
