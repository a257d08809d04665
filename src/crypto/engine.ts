/**
 * Everything encryption needs beyond the secret itself: key set-up, rotation, shredding and
 * the key channel. {@link Strata} imports this module on first use of a key, so an app that
 * never encrypts never loads it.
 */
export { openKeyChannel } from './key-channel.js';
export { destroyNamespaceKey, finishPendingRotation, rotateNamespaceKey } from './rotate.js';
export { readMeta, setupKeyRing } from './setup.js';
