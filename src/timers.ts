/** An opaque handle returned by {@link Timers.setTimeout} and {@link Timers.setInterval}. */
export type TimerHandle = unknown;

/**
 * The clock and timer functions the SDK uses, injectable so tests drive time by hand. Every
 * member is optional in options; the missing ones are the platform's.
 */
export interface Timers {
  /** Wall-clock time in epoch milliseconds. */
  now(): number;
  /** A clock nobody can set, in milliseconds (`performance.now()`): measures durations. */
  monotonic(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a {@link Timers.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
  /** Runs `callback` every `ms` milliseconds. */
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Cancels a {@link Timers.setInterval}. */
  clearInterval(handle: TimerHandle): void;
}

/** Timer functions a background loop uses (the `timers` option of sessions). */
export type IntervalTimers = Pick<Timers, 'setInterval' | 'clearInterval'>;

type PlatformHandle = ReturnType<typeof setTimeout>;

/** The platform's timers, looked up on `globalThis` at each call so fake timers and spies apply. */
export const platformTimers: Timers = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as PlatformHandle),
  setInterval: (callback, ms) => globalThis.setInterval(callback, ms),
  clearInterval: (handle) => globalThis.clearInterval(handle as PlatformHandle),
};

/** The timers of an options object: its `clock` and `timers`, the platform's for the rest. */
export function resolveTimers(options: {
  clock?: (() => number) | undefined;
  timers?: Partial<Timers> | undefined;
}): Timers {
  const { clock, timers } = options;
  if (!clock && !timers) return platformTimers;
  return { ...platformTimers, ...timers, ...(clock ? { now: clock } : {}) };
}

/** Resolves after `ms` on `timers` (a fake clock advances it). */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timers.setTimeout(resolve, ms);
  });
}

/** Lets a Node process exit while a background timer is pending (no-op in browsers). */
export function unref(handle: TimerHandle): void {
  (handle as { unref?: () => void } | undefined)?.unref?.();
}
