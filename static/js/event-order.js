// Versioned game events, strictly in order: each applies once, and a lost one is noticed.
//
// Every game event carries `v`, one more than the event before it; a gameState sets a new
// baseline. Messages without `v` (pong, error, lagProbe, spectator chat) are outside the
// sequence: they never move it and never count as a gap.

export class EventOrder {
  constructor() {
    // The version of the last event applied (or of the last gameState); null before any state.
    this.lastV = null;
  }

  /**
   * 'apply' (and the message becomes the last applied), 'skip' (already applied, or sent
   * before our first gameState) or 'gap' (events were lost in between: resync).
   */
  accept(message) {
    if (message.type === 'gameState') {
      this.lastV = typeof message.v === 'number' ? message.v : null;
      return 'apply';
    }
    if (typeof message.v !== 'number') return 'apply';
    if (this.lastV === null || message.v <= this.lastV) return 'skip';
    if (message.v !== this.lastV + 1) return 'gap';
    this.lastV = message.v;
    return 'apply';
  }

  /** Back to before the first gameState: every event is skipped until a fresh one comes. */
  forget() {
    this.lastV = null;
  }

  /** True when a pong says the server sent an event we have not applied. */
  missedBefore(pong) {
    return typeof pong.v === 'number' && this.lastV !== null && pong.v > this.lastV;
  }
}
