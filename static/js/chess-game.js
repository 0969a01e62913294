// The chess game as this page knows it: the server's state and events, your move in flight and
// your premove, the ply you browse. Nothing here touches the page: chess-view.js says what to
// show of it, chess.js draws that, and the tests drive both directly.
//
// The server is the only referee. Moves show at once (optimistically) and go back if the server
// refuses them; clocks run down locally between events but only the server's gameEnd ends a game.

import { ChessClocks, firstMoveTimeoutMs } from './chess-clock.js';
import {
  isCapture,
  isInCheck,
  otherColor,
  parseFen,
  playUci,
  repetitionKey,
  replay,
  START_FEN,
} from './chess-logic.js';
import { capitalize, describeResult } from './chess-result.js';

// Errors that can answer a move: the board goes back to the server's position.
const MOVE_ERRORS = new Set([
  'illegal_move',
  'not_your_turn',
  'game_over',
  'not_a_player',
  'not_player',
  'bad_field',
  'unknown_intent',
  'engine_unavailable',
]);
// Assumed when a gameState says the opponent is away without saying since when.
const DEFAULT_CLAIM_AFTER_MS = 30_000;
// An event older than this on arrival (a replay after reconnecting) has its clock aged.
const REPLAY_AGE_MS = 1000;
// The same button pressed twice within this long sends once.
const ACTION_REPEAT_MS = 800;
// The engine keeps an ended game, and takes rematch offers for it, this long after the end.
export const RETAIN_ENDED_MS = 120_000;

export function gamePageUrl(gameId) {
  return `/game/${encodeURIComponent(gameId)}/`;
}

function emptyState(tc) {
  return {
    loaded: false,
    status: 'started',
    reason: null,
    winner: null,
    white: { username: '', connected: undefined },
    black: { username: '', connected: undefined },
    tc,
    fen: null,
    initialFen: START_FEN,
    moves: [],
    sans: [],
    legal: [],
    check: null,
    offers: { draw: null, takeback: null, rematch: null },
  };
}

const NOTHING_TO_DRAW = Object.freeze({ animate: false, premove: null, reset: false });

export class ChessGame {
  /**
   * out: what the page does at the game's word:
   *   notice(text)                    a line in both chat rooms
   *   chat({room, username, message, isYou, color})
   *   toast(text, kind)               kind 'info'
   *   error(message)                  a server refusal, to show
   *   sound(name)                     'move', 'capture' or 'lowTime'
   *   navigate(url)                   open another page (our rematch)
   */
  constructor({ gameId, username, tc = '', out }) {
    this.gameId = gameId;
    this.out = out;
    this.you = { username, role: 'spectator' };
    this.state = emptyState(tc);
    this.clocks = new ChessClocks();
    this.clocks.setTimeControl(tc);
    this.flipped = false;
    this.pendingMove = null;
    this.premove = null;
    this.viewPly = null;
    this.firstMoveDeadline = null;
    this.opponentGone = null;
    this.rematchGameId = null;
    // Until when (performance.now()) the engine still holds the ended game: rematch until then.
    this.rematchUntil = -Infinity;
    this.lowTimeWarned = false;
    this.lastActionAt = new Map();
    this.tsOffset = null;
    this.positionCache = { key: null, positions: null };
  }

  // -- who is who ---------------------------------------------------------------------------

  get myColor() {
    if (this.you.role !== 'player') return null;
    if (this.state.white.username === this.you.username) return 'white';
    if (this.state.black.username === this.you.username) return 'black';
    return null;
  }

  get started() {
    return this.state.status === 'started';
  }

  colorOfUsername(username) {
    if (!username) return null;
    if (username === this.state.white.username) return 'white';
    if (username === this.state.black.username) return 'black';
    return null;
  }

  /** A winner as the server gives it (a colour, or a username from the database) as a colour. */
  winnerColor(winner) {
    if (winner === 'white' || winner === 'black') return winner;
    return this.colorOfUsername(winner);
  }

  // -- from the server ----------------------------------------------------------------------

  /**
   * Takes one message from the game socket (already in version order). now: performance.now();
   * wallNow: Date.now(), to age replayed events. Returns how to redraw the board:
   * {animate, premove (a premove to send now, or null), reset (drop any piece being moved)}.
   */
  receive(message, now, wallNow = Date.now()) {
    switch (message.type) {
      case 'gameState':
        this.applyGameState(message, now);
        return { ...NOTHING_TO_DRAW, reset: true };
      case 'error':
        this.refused(message);
        return NOTHING_TO_DRAW;
      case 'chat':
        this.out.chat({
          room: message.room === 'spectator' ? 'spectator' : 'player',
          username: message.username,
          message: message.message,
          isYou: message.username === this.you.username,
          color: this.colorOfUsername(message.username),
        });
        return NOTHING_TO_DRAW;
      default:
        if (typeof message.v !== 'number') return NOTHING_TO_DRAW;
        return this.applyEvent(message, this.arrival(message, now, wallNow)) || NOTHING_TO_DRAW;
    }
  }

  /**
   * When the event "arrived" for the clocks, and whether it is fresh: now, unless it is clearly a
   * replay of an older event (after a reconnect), whose clock figure is then aged by its age.
   */
  arrival(message, now, wallNow) {
    if (typeof message.ts !== 'number') return { at: now, fresh: true };
    const lateness = wallNow - message.ts; // latency plus the difference between the clocks
    this.tsOffset = this.tsOffset === null ? lateness : Math.min(this.tsOffset, lateness);
    const age = lateness - this.tsOffset;
    return age > REPLAY_AGE_MS ? { at: now - age, fresh: false } : { at: now, fresh: true };
  }

  // A gameState replaces everything we knew: it is the server's fresh picture.
  applyGameState(message, now) {
    this.you = message.you || this.you;
    const state = this.state;
    state.loaded = true;
    state.status = message.status || state.status;
    if (message.white?.username !== undefined) {
      state.white = { username: message.white.username, connected: message.white.connected };
      state.black = { username: message.black.username, connected: message.black.connected };
    } else if (Array.isArray(message.players) && message.players.length >= 2) {
      state.white = { username: message.players[0].username, connected: undefined };
      state.black = { username: message.players[1].username, connected: undefined };
    }
    state.tc = message.tc || message.settings?.tc || state.tc;
    state.fen = message.fen || null;
    state.initialFen = message.initial_fen || START_FEN;
    state.moves = Array.isArray(message.moves) ? message.moves.slice() : [];
    state.sans = Array.isArray(message.sans) ? message.sans.slice() : [];
    state.legal = message.legal_moves || [];
    state.check = typeof message.check === 'boolean' ? message.check : null;
    state.offers = {
      draw: message.draw_offer || null,
      takeback: message.takeback_offer || null,
      // A state from the database knows no offers: keep the one we heard of.
      rematch: 'rematch_offer' in message ? message.rematch_offer : state.offers.rematch,
    };
    const result = message.result || {};
    state.reason = message.reason ?? result.reason ?? null;
    state.winner = this.winnerColor(result.winner ?? message.winner ?? null);
    if (!state.winner && state.status === 'white_wins') state.winner = 'white';
    if (!state.winner && state.status === 'black_wins') state.winner = 'black';

    this.clocks.setTimeControl(state.tc);
    if (this.started) this.clocks.update(message.clock, now);
    else this.clocks.showFinal(message.clock, now);
    const firstMove = message.first_move_ms_left;
    this.firstMoveDeadline = this.started && typeof firstMove === 'number' ? now + firstMove : null;
    const opponent = this.myColor && state[otherColor(this.myColor)];
    this.opponentGone =
      this.started && opponent?.connected === false ? { claimAt: now + DEFAULT_CLAIM_AFTER_MS } : null;
    this.pendingMove = null;
    this.premove = null;
  }

  applyEvent(event, { at, fresh }) {
    const state = this.state;
    const mine = this.myColor;
    const byOpponent = Boolean(mine) && Boolean(event.by) && event.by !== mine;
    switch (event.type) {
      case 'move':
        return this.applyMove(event, at, fresh);
      case 'takeback':
        return this.applyTakeback(event, at);
      case 'gameEnd':
        return this.applyGameEnd(event, at);
      case 'drawOffer':
        state.offers.draw = event.by;
        this.out.notice(`${capitalize(event.by)} offers a draw`);
        if (byOpponent) this.out.toast('Your opponent offers a draw', 'info');
        return null;
      case 'drawDeclined':
        if (state.offers.draw && state.offers.draw !== event.by) {
          this.out.notice(`${capitalize(event.by)} declined the draw`);
          if (byOpponent) this.out.toast('Draw offer declined', 'info');
        }
        state.offers.draw = null;
        return null;
      case 'takebackOffer':
        state.offers.takeback = event.by;
        this.out.notice(`${capitalize(event.by)} proposes a takeback`);
        if (byOpponent) this.out.toast('Your opponent proposes a takeback', 'info');
        return null;
      case 'takebackDeclined':
        if (state.offers.takeback && state.offers.takeback !== event.by) {
          this.out.notice(`${capitalize(event.by)} declined the takeback`);
          if (byOpponent) this.out.toast('Takeback declined', 'info');
        }
        state.offers.takeback = null;
        return null;
      case 'rematchOffer':
        state.offers.rematch = event.by;
        this.out.notice(`${capitalize(event.by)} wants a rematch`);
        if (byOpponent) this.out.toast('Your opponent wants a rematch', 'info');
        return null;
      case 'rematch':
        this.applyRematch(event);
        return null;
      case 'moretime':
        this.clocks.update(event.clock, at);
        this.out.notice(`+${Math.round((event.ms || 15000) / 1000)} s for ${event.to}`);
        if (mine && event.to === mine) this.out.toast('Your opponent gave you 15 seconds', 'info');
        return null;
      case 'presence':
        this.applyPresence(event, at);
        return null;
      default:
        return null;
    }
  }

  applyMove(event, now, fresh) {
    const state = this.state;
    const mine = this.myColor;
    const byMe = Boolean(mine) && event.player === mine;
    const wasShown = byMe && this.pendingMove === event.uci;
    // Your own move sounded when you made it.
    if (fresh && !wasShown) this.out.sound(isCapture(this.livePosition(), event.uci) ? 'capture' : 'move');
    const ply = typeof event.ply === 'number' ? event.ply : state.moves.length + 1;
    state.moves = [...state.moves.slice(0, ply - 1), event.uci];
    state.sans = [...state.sans.slice(0, ply - 1), event.san || event.uci];
    state.fen = event.fen;
    state.legal = event.legal_moves || [];
    state.check = Boolean(event.check);
    this.clocks.update(event.clock, now);
    this.firstMoveDeadline = ply < 2 ? now + firstMoveTimeoutMs(state.tc) : null;
    // Ours is confirmed; and if the opponent moved, any move of ours in flight will be refused.
    this.pendingMove = null;
    if (mine && this.viewPly !== null) this.viewPly = null;

    let premove = null;
    if (!byMe && mine && this.premove) {
      if (state.legal.includes(this.premove)) premove = this.premove;
      this.premove = null;
    }
    return { animate: !wasShown, premove, reset: false };
  }

  applyTakeback(event, now) {
    const state = this.state;
    const ply = typeof event.ply === 'number' ? event.ply : (event.moves || []).length;
    state.moves = (event.moves || state.moves.slice(0, ply)).slice();
    state.sans = state.sans.slice(0, ply);
    state.fen = event.fen;
    state.legal = event.legal_moves || [];
    state.check = Boolean(event.check);
    state.offers.takeback = null;
    this.clocks.update(event.clock, now);
    this.firstMoveDeadline = ply < 2 ? now + firstMoveTimeoutMs(state.tc) : null;
    this.pendingMove = null;
    this.premove = null;
    this.viewPly = null;
    this.out.notice('Takeback accepted');
    return { ...NOTHING_TO_DRAW, reset: true };
  }

  applyGameEnd(event, now) {
    const state = this.state;
    state.status = event.status;
    state.reason = event.reason || null;
    state.winner = this.winnerColor(event.winner);
    state.legal = [];
    state.offers.draw = null;
    state.offers.takeback = null;
    this.clocks.stop(now);
    this.pendingMove = null;
    this.premove = null;
    this.firstMoveDeadline = null;
    this.opponentGone = null;
    // Seen live: the engine holds the game, and takes rematch offers, for a while yet.
    this.rematchUntil = now + RETAIN_ENDED_MS;
    this.out.notice(describeResult(state).text);
    return { ...NOTHING_TO_DRAW, reset: true };
  }

  applyRematch(event) {
    this.rematchGameId = event.game_id;
    this.state.offers.rematch = null;
    if (this.myColor && [event.white, event.black].includes(this.you.username)) {
      this.out.navigate(gamePageUrl(event.game_id));
      return;
    }
    this.out.notice('The players start a rematch');
    this.out.toast('The players start a rematch', 'info');
  }

  applyPresence(event, now) {
    const player = this.state[event.player];
    if (!player) return;
    const wasConnected = player.connected;
    player.connected = event.connected;
    if (this.myColor && event.player !== this.myColor && this.started) {
      this.opponentGone = event.connected
        ? null
        : { claimAt: now + (event.claim_after_ms ?? DEFAULT_CLAIM_AFTER_MS) };
    }
    if (wasConnected !== event.connected) {
      this.out.notice(`${player.username || capitalize(event.player)} ${event.connected ? 'is back' : 'left the game'}`);
    }
  }

  refused(message) {
    this.out.error(message);
    // After the end, only an engine that dropped the game says game_over to a rematch or chat.
    if (message.code === 'game_over' && !this.started) this.rematchUntil = -Infinity;
    if (this.pendingMove && MOVE_ERRORS.has(message.code)) {
      // Back to the last position the server confirmed.
      this.pendingMove = null;
      this.premove = null;
    }
  }

  // -- your side ----------------------------------------------------------------------------

  canMoveNow() {
    const color = this.myColor;
    return Boolean(color) && this.started && !this.pendingMove && this.livePosition().turn === color;
  }

  /** Your move went to the server: show it at once. */
  moveSent(uci) {
    this.out.sound(isCapture(this.livePosition(), uci) ? 'capture' : 'move');
    this.pendingMove = uci;
  }

  setPremove(uci) {
    this.premove = uci;
  }

  /** The message type a button sends (draw offers become accepts when one is pending), or null. */
  intentFor(name, now) {
    if (now - (this.lastActionAt.get(name) ?? -Infinity) < ACTION_REPEAT_MS) return null;
    this.lastActionAt.set(name, now);
    const mine = this.myColor;
    const offers = this.state.offers;
    if (name === 'draw') return offers.draw && offers.draw !== mine ? 'draw_accept' : 'draw_offer';
    if (name === 'takeback') return offers.takeback && offers.takeback !== mine ? 'takeback_accept' : 'takeback_offer';
    return name;
  }

  /**
   * Shows another ply: a number, or 'first' | 'prev' | 'next' | 'last'. Returns whether to animate
   * (one ply forward), or null when the board stays as it is.
   */
  browse(ply) {
    const total = this.state.moves.length;
    const shown = this.viewPly ?? total;
    const targets = { first: 0, prev: shown - 1, next: shown + 1, last: total };
    const target = Math.max(0, Math.min(total, Number(ply in targets ? targets[ply] : ply)));
    if (Number.isNaN(target)) return null;
    const next = target >= total ? null : target;
    if (next === this.viewPly) return null;
    const forwardByOne = next === null ? shown === total - 1 : next === shown + 1;
    this.viewPly = next;
    return { animate: forwardByOne };
  }

  /** Once each time your running clock falls under the low-time mark: the warning sound. */
  checkLowTime(now) {
    const mine = this.myColor;
    if (!mine || !this.started) return;
    if (!this.clocks.isLow(mine, now)) {
      this.lowTimeWarned = false; // more time (moretime, increment): warn again next time
      return;
    }
    if (this.lowTimeWarned || this.clocks.running() !== mine) return;
    this.lowTimeWarned = true;
    this.out.sound('lowTime');
  }

  // -- positions ----------------------------------------------------------------------------

  /** Every position of the game so far, from the moves (for browsing and repetitions). */
  positions() {
    const key = `${this.state.initialFen}|${this.state.moves.join(' ')}`;
    if (this.positionCache.key !== key) {
      this.positionCache = { key, positions: replay(this.state.initialFen, this.state.moves) };
    }
    return this.positionCache.positions;
  }

  /** The position as the server last told it (from its FEN, or rebuilt from the moves). */
  livePosition() {
    return this.state.fen ? parseFen(this.state.fen) : this.positions().at(-1);
  }

  /** What the board shows: {pieces, turn, lastMove, inCheck, ...}. */
  shownPosition() {
    const state = this.state;
    if (this.viewPly !== null) {
      const position = this.positions()[this.viewPly] || this.positions().at(-1);
      const lastMove = this.viewPly > 0 ? state.moves[this.viewPly - 1] : null;
      return { ...position, lastMove, inCheck: isInCheck(position.pieces, position.turn) };
    }
    const server = this.livePosition();
    if (this.pendingMove) {
      const optimistic = playUci(server, this.pendingMove);
      if (optimistic) {
        return { ...optimistic, lastMove: this.pendingMove, inCheck: isInCheck(optimistic.pieces, optimistic.turn) };
      }
    }
    const inCheck = state.check ?? isInCheck(server.pieces, server.turn);
    return { ...server, lastMove: state.moves.at(-1) || null, inCheck };
  }

  canClaimDraw(now) {
    const position = this.livePosition();
    if (position.halfmove >= 100) return true;
    const positions = this.positions();
    const last = repetitionKey(positions.at(-1));
    const repeats = positions.filter((candidate) => repetitionKey(candidate) === last).length;
    if (repeats >= 3) return true;
    return this.state.moves.length >= 2 && this.isClaimReady(now);
  }

  isClaimReady(now) {
    return Boolean(this.opponentGone) && now >= this.opponentGone.claimAt;
  }

  /** The colour at the bottom of the board. */
  orientation() {
    return (this.myColor === 'black') !== this.flipped ? 'black' : 'white';
  }
}
