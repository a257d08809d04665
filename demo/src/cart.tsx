import { useSession, useStrataValue } from 'strata-storage/react';
import { cartKey, store, type CartItem } from './sdk.js';

const PRODUCTS = [
  { id: 'apple', name: 'Apple' },
  { id: 'pear', name: 'Pear' },
  { id: 'plum', name: 'Plum' },
];

/** The cart of the guest or of the signed-in user, live across tabs. */
export function Cart() {
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
    </section>
  );
}
