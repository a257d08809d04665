// What an attacker with a copy of a Chromium profile folder can do offline, in Node: read
// every file (LevelDB logs as they are, LevelDB tables with their snappy blocks expanded),
// find the SDK's key metadata, and try keys against it. Bounded: files over 64 MB are left
// out (no store of the test origin is near that), and key windows are tried only over the
// origin's IndexedDB and Local Storage files.
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** One file of the profile: its bytes, and for a LevelDB table its expanded blocks too. */
export interface ProfileFile {
  path: string;
  bytes: Buffer;
}

/** Every file under `dir` (a `.ldb`/`.sst` table yields its raw bytes and its expanded blocks). */
export function readProfile(dir: string): ProfileFile[] {
  const out: ProfileFile[] = [];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue; // a socket or lock that vanished
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile() && stat.size <= MAX_FILE_BYTES) {
        const bytes = readFileSync(path);
        out.push({ path, bytes });
        if (/\.(ldb|sst)$/.test(name))
          out.push({ path: `${path}#expanded`, bytes: Buffer.concat(tableBlocks(bytes)) });
      }
    }
  };
  walk(dir);
  return out;
}

/** The files of the profile's IndexedDB and Local Storage (where the SDK keeps anything). */
export function storageFiles(files: ProfileFile[]): ProfileFile[] {
  return files.filter((f) => /[/\\](IndexedDB|Local Storage)[/\\]/.test(f.path));
}

/** Paths of the files holding `needle`. */
export function filesWith(files: ProfileFile[], needle: Buffer | string): string[] {
  const bytes = typeof needle === 'string' ? Buffer.from(needle, 'latin1') : needle;
  return files.filter((f) => f.bytes.includes(bytes)).map((f) => f.path);
}

/** Every key metadata object (`{"v":1,"mode":…}`) written in the files, every version the logs still hold. */
export function keyMetadata(files: ProfileFile[]): KeyMetaOnDisk[] {
  const found = new Map<string, KeyMetaOnDisk>();
  for (const file of files) {
    const text = file.bytes.toString('latin1');
    let at = text.indexOf('{"v":1,');
    while (at >= 0) {
      const json = balanced(text, at);
      if (json) {
        try {
          const meta = JSON.parse(json) as KeyMetaOnDisk;
          if (typeof meta.verifier === 'string') found.set(json, meta);
        } catch {
          // a fragment split by the storage format
        }
      }
      at = text.indexOf('{"v":1,', at + 1);
    }
  }
  return [...found.values()];
}

/** The fields of the SDK's key metadata an attacker uses. */
export interface KeyMetaOnDisk {
  mode: string;
  salt?: string;
  iterations?: number;
  verifier: string;
  wrapped?: string;
  gen?: number;
  next?: KeyMetaOnDisk & { wrappedNew?: string; wrappedOld?: string };
}

/** Every base64 run of at least `min` characters in the files (ciphertext candidates). */
export function base64Runs(files: ProfileFile[], min = 40): string[] {
  const runs = new Set<string>();
  const pattern = new RegExp(`[A-Za-z0-9+/]{${min},}={0,2}`, 'g');
  for (const file of files)
    for (const m of file.bytes.toString('latin1').matchAll(pattern)) runs.add(m[0]);
  return [...runs];
}

/** The key PBKDF2-SHA-256 gives for `password` with a salt found on disk (as the SDK derives it). */
export function passwordKey(password: string, salt: string, iterations: number): Buffer {
  return pbkdf2Sync(password, Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
}

/** AES-GCM open of the SDK's `IV ‖ ciphertext ‖ tag` under `key`, with its additional data; undefined when it fails. */
export function open(
  key: Buffer,
  sealed: string | Buffer,
  namespace: string,
  context: string,
): Buffer | undefined {
  const bytes = typeof sealed === 'string' ? Buffer.from(sealed, 'base64') : sealed;
  if (bytes.length < 28 || (key.length !== 16 && key.length !== 32)) return undefined;
  try {
    const decipher = createDecipheriv(
      key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm',
      key,
      bytes.subarray(0, 12),
    );
    decipher.setAAD(Buffer.from(`strata/1\u0000${namespace}\u0000${context}`));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([
      decipher.update(bytes.subarray(12, bytes.length - 16)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

/** Whether `key` is the key of a slot: it opens the slot's verifier. */
export function opensVerifier(key: Buffer, verifier: string, namespace: string): boolean {
  return open(key, verifier, namespace, '#verifier')?.toString() === 'strata-storage key verifier';
}

/**
 * Tries every 16- and 32-byte window of `files` as an AES key against `verifier` (the
 * device key is serialized inside the IndexedDB record of its CryptoKey). Resolves to the
 * key that opens it, if any, and how many windows were tried.
 */
export function keyFromWindows(
  files: ProfileFile[],
  verifier: string,
  namespace: string,
): { key: Buffer | undefined; tried: number } {
  let tried = 0;
  for (const file of files) {
    for (const size of [32, 16]) {
      for (let at = 0; at + size <= file.bytes.length; at++) {
        tried++;
        const key = file.bytes.subarray(at, at + size);
        if (opensVerifier(key, verifier, namespace)) return { key: Buffer.from(key), tried };
      }
    }
  }
  return { key: undefined, tried };
}

// ── LevelDB tables ────────────────────────────────────────────────────────────────────

/** The data blocks of a LevelDB table, snappy-expanded; [] for anything else. */
function tableBlocks(file: Buffer): Buffer[] {
  try {
    if (file.length < 48 || file.readUInt32LE(file.length - 8) !== 0x8b80fb57) return [];
    const footer = new Reader(file, file.length - 48);
    footer.varint();
    footer.varint(); // the metaindex handle
    const index = readBlock(file, footer.varint(), footer.varint());
    const blocks: Buffer[] = [];
    for (const handle of blockEntries(index)) {
      const value = new Reader(handle, 0);
      blocks.push(readBlock(file, value.varint(), value.varint()));
    }
    return blocks;
  } catch {
    return []; // not a table this reader knows: its raw bytes are still scanned
  }
}

function readBlock(file: Buffer, offset: number, size: number): Buffer {
  const contents = file.subarray(offset, offset + size);
  return file[offset + size] === 1 ? snappy(contents) : contents;
}

/** The values of a block's entries. */
function blockEntries(block: Buffer): Buffer[] {
  const restarts = block.readUInt32LE(block.length - 4);
  const end = block.length - 4 - 4 * restarts;
  const reader = new Reader(block, 0);
  const values: Buffer[] = [];
  while (reader.at < end) {
    reader.varint(); // shared key bytes
    const unshared = reader.varint();
    const length = reader.varint();
    reader.at += unshared;
    values.push(block.subarray(reader.at, reader.at + length));
    reader.at += length;
  }
  return values;
}

/** Snappy block decompression (the format LevelDB compresses table blocks with). */
function snappy(input: Buffer): Buffer {
  const reader = new Reader(input, 0);
  const out = Buffer.alloc(reader.varint());
  let written = 0;
  while (reader.at < input.length) {
    const tag = input[reader.at++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let length = tag >> 2;
      if (length >= 60) {
        const extra = length - 59;
        length = input.readUIntLE(reader.at, extra);
        reader.at += extra;
      }
      length += 1;
      input.copy(out, written, reader.at, reader.at + length);
      reader.at += length;
      written += length;
      continue;
    }
    let length: number;
    let offset: number;
    if (kind === 1) {
      length = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | input[reader.at++]!;
    } else if (kind === 2) {
      length = (tag >> 2) + 1;
      offset = input.readUInt16LE(reader.at);
      reader.at += 2;
    } else {
      length = (tag >> 2) + 1;
      offset = input.readUInt32LE(reader.at);
      reader.at += 4;
    }
    for (let i = 0; i < length; i++, written++) out[written] = out[written - offset]!;
  }
  return out;
}

class Reader {
  constructor(
    readonly bytes: Buffer,
    public at: number,
  ) {}

  varint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  }
}

/** The text between `{` at `start` and its matching `}` (strings respected), or undefined. */
function balanced(text: string, start: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length && i < start + 65_536; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}
