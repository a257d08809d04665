// Compiled by the package spec with the consumer's tsconfig: the published declarations
// must resolve through the exports map and type a typical use.
import { Strata, StrataError, type StrataOptions } from 'strata-storage';
import { useSession, SessionProvider } from 'strata-storage/react';
import { broadcastChannelFallback } from 'strata-storage/broadcast-channel';

const options: StrataOptions = {
  namespace: 'app',
  defaultStorage: 'indexedDB',
  encryption: { enabled: true },
  sync: { enabled: true, fallback: broadcastChannelFallback },
};
export const store = new Strata(options);
export async function read(): Promise<string | null> {
  try {
    return await store.get<string>('greeting');
  } catch (error) {
    if (error instanceof StrataError) return error.code;
    throw error;
  }
}
export const bindings = [useSession, SessionProvider] as const;
