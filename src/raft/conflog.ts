// The configuration at every point of the log that could still change.
//
// Servers use the latest configuration in their log, committed or not
// (confchange.ts says why). A follower's uncommitted tail can be replaced by a
// new leader, taking configuration entries with it, so we remember each
// configuration with the index of the entry that introduced it and fall back
// when the log is cut.
//
// Invariant: history is sorted by index, never empty, and history[0] is at or
// below the commit index (so a truncation never removes it).
import { applyConfChange, decodeConfChange } from './confchange.js';
import type { ConfState, Entry } from './types.js';

interface Point {
  index: number;
  conf: ConfState;
}

export class ConfigLog {
  private history: Point[];

  constructor(baseIndex: number, base: ConfState) {
    this.history = [{ index: baseIndex, conf: base }];
  }

  current(): ConfState {
    return this.history[this.history.length - 1]!.conf;
  }

  /** Index of the entry that introduced the current configuration. */
  currentIndex(): number {
    return this.history[this.history.length - 1]!.index;
  }

  /** The configuration in force after the entry at `index`. */
  at(index: number): ConfState {
    for (let i = this.history.length - 1; i >= 0; i--) {
      if (this.history[i]!.index <= index) return this.history[i]!.conf;
    }
    return this.history[0]!.conf;
  }

  /**
   * Entries were written starting at ents[0].index, replacing whatever the log
   * held from there on. Returns true if the current configuration changed.
   */
  appended(ents: readonly Entry[]): boolean {
    if (ents.length === 0) return false;
    const before = this.current();
    const from = ents[0]!.index;
    while (this.history.length > 1 && this.history[this.history.length - 1]!.index >= from) this.history.pop();
    for (const e of ents) {
      if (e.type === 'confChange') {
        this.history.push({ index: e.index, conf: applyConfChange(this.current(), decodeConfChange(e.data)) });
      }
    }
    return this.current() !== before;
  }

  reset(index: number, conf: ConfState): void {
    this.history = [{ index, conf }];
  }

  /** Forget configurations that can no longer be returned to: those before the one in force at `committed`. */
  compact(committed: number): void {
    let keep = 0;
    for (let i = 0; i < this.history.length; i++) {
      if (this.history[i]!.index <= committed) keep = i;
    }
    if (keep > 0) this.history = this.history.slice(keep);
  }
}
