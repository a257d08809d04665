import { randomHex } from './codec/base64.js';

/** When and by whom a change was made: orders concurrent writes across tabs. */
export interface WriteStamp {
  /** Write time, epoch ms, never behind a stamp the writer has seen. */
  u: number;
  /** Id of the writing instance: breaks ties between equal times. */
  w: string;
}

/** Orders two writes: positive when `a` is newer. Ties on time break on writer id. */
export function compareWrites(a: WriteStamp, b: WriteStamp): number {
  if (a.u !== b.u) return a.u - b.u;
  return a.w < b.w ? -1 : a.w > b.w ? 1 : 0;
}

/** The write stamps of one instance: the clock, but never behind a stamp already seen. */
export class WriteClock {
  /** Unique to the instance; names its writes and its cross-tab messages. */
  readonly id = randomHex(8);
  #last = 0;

  /** A stamp for a write made at `now`, newer than every stamp seen so far. */
  stamp(now: number): WriteStamp {
    this.#last = Math.max(now, this.#last + 1);
    return { u: this.#last, w: this.id };
  }

  /** Another tab's stamp was seen: later writes here must win over it. */
  observe(u: number): void {
    this.#last = Math.max(this.#last, u);
  }
}
