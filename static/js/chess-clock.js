// Chess clocks: the server's figures, run down smoothly between its events.
//
// The server is the only judge of time. Between two events the running side's clock shows
// the last server figure minus the time since that event arrived here; it stops at 0:00 and
// waits for the server's gameEnd, never ending anything itself.

const LOW_TIME_MS = 10_000;
const LOW_TIME_SHARE = 0.1;

// Lichess speeds from the estimated game length (initial + 40 × increment, in seconds), and
// the time each side gets for its first move at that speed (as the server counts them).
const SPEEDS = [
  [30, 'UltraBullet', 15_000],
  [180, 'Bullet', 20_000],
  [480, 'Blitz', 25_000],
  [1500, 'Rapid', 30_000],
  [Infinity, 'Classical', 35_000],
];
const FRACTIONAL_MINUTES = { '0.25': '¼', '0.5': '½', '0.75': '¾', '1.5': '1½' };

/** {initialMs, incrementMs} from a label such as "3+2" or "0.25+0"; null when unreadable. */
export function parseTimeControl(label) {
  const match = /^(\d+(?:\.\d+)?)\+(\d+)$/.exec(String(label || '').replace(' ', '+'));
  if (!match) return null;
  return { initialMs: Math.round(Number(match[1]) * 60_000), incrementMs: Number(match[2]) * 1000 };
}

function speedOf(label) {
  const tc = parseTimeControl(label);
  if (!tc) return null;
  const estimate = tc.initialMs / 1000 + (40 * tc.incrementMs) / 1000;
  return SPEEDS.find(([limit]) => estimate < limit);
}

/** "Bullet", "Blitz", … for a time control label. */
export function speedName(label) {
  return speedOf(label)?.[1] || '';
}

/** How long each side has for its first move in this time control. */
export function firstMoveTimeoutMs(label) {
  return speedOf(label)?.[2] || 30_000;
}

/** "3+2", with quarter minutes written as fractions ("¼+0"). */
export function timeControlText(label) {
  const [minutes, increment] = String(label || '').split('+');
  if (increment === undefined) return String(label || '');
  return `${FRACTIONAL_MINUTES[minutes] || minutes}+${increment}`;
}

const pad = (number) => String(number).padStart(2, '0');

/** mm:ss, h:mm:ss from an hour, and mm:ss.t (tenths) under ten seconds. */
export function formatClock(ms) {
  const safe = Math.max(0, ms);
  if (safe < 10_000) {
    const tenths = Math.floor(safe / 100);
    return `00:${pad(Math.floor(tenths / 10))}.${tenths % 10}`;
  }
  const seconds = Math.floor(safe / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = `${pad(minutes)}:${pad(seconds % 60)}`;
  return hours ? `${hours}:${rest}` : rest;
}

/**
 * Both clocks of a game. `update` takes a server clock {white, black, running} and the
 * performance.now() at which its event arrived; `display(now)` says what to show (every frame).
 */
export class ChessClocks {
  constructor() {
    this.clock = null;
    this.receivedAt = 0;
    this.lowMs = LOW_TIME_MS;
  }

  setTimeControl(label) {
    const tc = parseTimeControl(label);
    const initial = tc ? tc.initialMs : 0;
    this.lowMs = Math.max(LOW_TIME_MS, initial * LOW_TIME_SHARE);
  }

  update(clock, receivedAt) {
    if (!clock) return;
    this.clock = { white: clock.white, black: clock.black, running: clock.running || null };
    this.receivedAt = receivedAt;
  }

  /** Shows a finished game's clocks exactly as the server gives them, stopped. */
  showFinal(clock, now) {
    if (clock) this.update({ ...clock, running: null }, now);
    else this.stop(now);
  }

  /** Stops both clocks where they are shown now (the game is over). */
  stop(now) {
    if (!this.clock) return;
    this.clock = { white: this.remaining('white', now), black: this.remaining('black', now), running: null };
    this.receivedAt = now;
  }

  remaining(color, now) {
    if (!this.clock) return null;
    const base = this.clock[color];
    if (typeof base !== 'number') return null;
    if (this.clock.running !== color) return Math.max(0, base);
    return Math.max(0, base - (now - this.receivedAt));
  }

  running() {
    return this.clock?.running || null;
  }

  isLow(color, now) {
    const ms = this.remaining(color, now);
    return ms !== null && ms < this.lowMs;
  }

  /** Per colour: {text, running, low, out}. */
  display(now) {
    const shown = {};
    for (const color of ['white', 'black']) {
      const ms = this.remaining(color, now);
      shown[color] = {
        text: ms === null ? '--:--' : formatClock(ms),
        running: this.running() === color,
        low: this.isLow(color, now),
        out: ms === 0,
      };
    }
    return shown;
  }
}
