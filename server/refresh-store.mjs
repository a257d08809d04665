// Refresh tokens of the reference auth server: opaque random strings grouped in families
// (one family per login). Only SHA-256 hashes are stored. Rotation marks the presented token
// used; presenting a used token again is reuse and revokes the whole family.
import { createHash, randomBytes } from 'node:crypto';

/** A random URL-safe id of `bytes` random bytes. */
export function randomId(bytes = 16) {
  return randomBytes(bytes).toString('base64url');
}

/** @param {string} token */
function hashOf(token) {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * @typedef {{ id: string, username: string, accessTtl: number, refreshTtl: number, revoked: boolean }} Family
 * @typedef {{ familyId: string, expiresAt: number, used: boolean }} TokenRecord
 */

/** The server's refresh-token families, in memory. */
export class RefreshStore {
  /** @type {Map<string, TokenRecord>} */
  #tokens = new Map();
  /** @type {Map<string, Family>} */
  #families = new Map();

  /**
   * Starts a family (one login).
   * @param {{ username: string, accessTtl: number, refreshTtl: number }} init
   * @returns {Family}
   */
  createFamily(init) {
    const family = { id: randomId(12), revoked: false, ...init };
    this.#families.set(family.id, family);
    return family;
  }

  /**
   * Issues a new refresh token of `family`, valid `family.refreshTtl` seconds from `now`.
   * @param {Family} family
   * @param {number} now epoch ms
   * @returns {string}
   */
  issue(family, now) {
    const token = randomBytes(32).toString('base64url');
    this.#tokens.set(hashOf(token), {
      familyId: family.id,
      expiresAt: now + family.refreshTtl * 1000,
      used: false,
    });
    return token;
  }

  /**
   * The record and family of `token`, or undefined for an unknown token.
   * @param {unknown} token
   * @returns {{ record: TokenRecord, family: Family } | undefined}
   */
  find(token) {
    if (typeof token !== 'string' || token === '') return undefined;
    const record = this.#tokens.get(hashOf(token));
    const family = record && this.#families.get(record.familyId);
    return record && family ? { record, family } : undefined;
  }

  /** @param {string} id */
  family(id) {
    return this.#families.get(id);
  }

  /**
   * Revokes `family`; true when it was active.
   * @param {Family} family
   */
  revoke(family) {
    if (family.revoked) return false;
    family.revoked = true;
    return true;
  }

  /**
   * Revokes every active family of `username`; answers how many.
   * @param {string} username
   */
  revokeUser(username) {
    let count = 0;
    for (const family of this.#families.values()) {
      if (family.username === username && this.revoke(family)) count++;
    }
    return count;
  }

  /** Forgets every token and family. */
  clear() {
    this.#tokens.clear();
    this.#families.clear();
  }
}
