// Stands in for src/quick-start.ts, which tests/e2e/fresh-app.ts writes into the app from the
// README's quick-start block (and then removes this file).
import type { Strata } from 'strata-storage';

export const store: Strata;
export const cart: Array<{ id: string; qty: number }> | null;
export const stop: () => void;
export const errors: string[];
