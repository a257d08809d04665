import { StrataError } from '../errors.js';
import { assertRecord, isWriteTime, LATEST_STAMP, type StoredRecord } from '../record.js';
import { STORAGE_KINDS, type StorageKind } from '../types.js';

/** Version of the cross-tab message format. */
export const SYNC_VERSION = 1;

/** One change, as it crosses the channel. Records travel as stored: ciphertext when encrypted. */
export type SyncMessage =
  | { kind: 'set'; key: string; layer: StorageKind; record: StoredRecord }
  | { kind: 'remove'; keys: string[]; u: number; w: string; expired: boolean }
  | { kind: 'clear'; keys: string[]; u: number; w: string; prefix?: string; tags?: string[] };

/** What is posted: the message plus who sent it, for which namespace, in which format. */
export interface SyncEnvelope {
  strata: typeof SYNC_VERSION;
  ns: string;
  from: string;
  msg: SyncMessage;
}

/**
 * Checks data received from the channel. Returns the message to apply, `null` for our own
 * echo or another namespace's traffic (ignored silently), or a `StrataError`
 * (`INVALID_MESSAGE`) for anything malformed or of an unknown version, to be reported.
 */
export function parseEnvelope(
  data: unknown,
  namespace: string,
  self: string,
): SyncMessage | null | StrataError {
  if (typeof data !== 'object' || data === null) return invalid('not an object');
  const envelope = data as Partial<SyncEnvelope>;
  if (envelope.strata !== SYNC_VERSION)
    return invalid(`unknown format version ${String(envelope.strata)}`);
  if (typeof envelope.ns !== 'string' || typeof envelope.from !== 'string')
    return invalid('missing namespace or sender');
  if (envelope.ns !== namespace) return null;
  if (envelope.from === self) return null;
  const msg = envelope.msg as Partial<Record<string, unknown>> | undefined;
  if (typeof msg !== 'object' || msg === null) return invalid('missing body');
  switch (msg.kind) {
    case 'set':
      if (
        typeof msg.key !== 'string' ||
        msg.key === '' ||
        !STORAGE_KINDS.includes(msg.layer as StorageKind)
      )
        return invalid('bad set');
      try {
        assertRecord(msg.record, msg.key);
      } catch {
        return invalid('bad record');
      }
      if (msg.record.u > LATEST_STAMP) return invalid('bad record');
      return { kind: 'set', key: msg.key, layer: msg.layer as StorageKind, record: msg.record };
    case 'remove':
      if (!isKeyList(msg.keys) || !isStamp(msg.u, msg.w) || typeof msg.expired !== 'boolean')
        return invalid('bad remove');
      return {
        kind: 'remove',
        keys: msg.keys,
        u: msg.u as number,
        w: msg.w as string,
        expired: msg.expired,
      };
    case 'clear': {
      if (!isKeyList(msg.keys) || !isStamp(msg.u, msg.w)) return invalid('bad clear');
      if (msg.prefix !== undefined && typeof msg.prefix !== 'string')
        return invalid('bad clear prefix');
      if (msg.tags !== undefined && !isKeyList(msg.tags)) return invalid('bad clear tags');
      const clear: SyncMessage = {
        kind: 'clear',
        keys: msg.keys,
        u: msg.u as number,
        w: msg.w as string,
      };
      if (msg.prefix !== undefined) clear.prefix = msg.prefix;
      if (msg.tags !== undefined) clear.tags = msg.tags;
      return clear;
    }
    default:
      return invalid('unknown kind');
  }
}

function isKeyList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((key) => typeof key === 'string');
}

function isStamp(u: unknown, w: unknown): boolean {
  return isWriteTime(u) && u <= LATEST_STAMP && typeof w === 'string';
}

function invalid(reason: string): StrataError {
  return new StrataError('INVALID_MESSAGE', `Ignored a cross-tab message: ${reason}.`);
}
