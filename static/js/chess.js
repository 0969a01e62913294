// The chess game page: keeps the game from the socket and hands it to the board, clocks and panel.
//
// The server is the only referee. Moves show at once (optimistically) and go back if the server
// refuses them; clocks run down locally between events but only the server's gameEnd ends a game.

import { ChessBoard } from './chess-board.js';
import { ChessClocks, firstMoveTimeoutMs, speedName, timeControlText } from './chess-clock.js';
import {
  isInCheck,
  kingSquare,
  materialDiff,
  otherColor,
  parseFen,
  playUci,
  repetitionKey,
  replay,
  START_FEN,
} from './chess-logic.js';
import { capitalize, ChessPanel, describeResult } from './chess-panel.js';
import { gameSocket } from './socket.js';
import { showServerError, showToast } from './toast.js';

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
const CHAT_MIN_INTERVAL_MS = 400;
// The same button pressed twice within this long sends once.
const ACTION_REPEAT_MS = 800;
// An event older than this on arrival (a replay after reconnecting) has its clock aged.
const REPLAY_AGE_MS = 1000;

function gamePageUrl(gameId) {
  return `/game/${encodeURIComponent(gameId)}/`;
}

function emptyGame(tc) {
  return {
    loaded: false,
    // The engine holds the game (so offers, rematch and chat reach it).
    live: false,
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

class ChessGameView {
  constructor(root) {
    this.root = root;
    this.gameId = root.dataset.gameId;
    this.you = { username: root.dataset.username, role: 'spectator' };
    this.game = emptyGame(root.dataset.tc || '');
    this.flipped = false;
    this.orientation = null;
    this.pendingMove = null;
    this.premove = null;
    this.viewPly = null;
    this.firstMoveDeadline = null;
    this.opponentGone = null;
    this.claimReady = false;
    this.rematchGameId = null;
    this.rematchDeclined = false;
    this.lastChatAt = -Infinity;
    this.lastActionAt = new Map();
    this.tsOffset = null;
    this.summaryLoading = false;
    this.positionCache = { key: null, positions: null };

    this.panel = new ChessPanel(root, {
      onAction: (name) => this.act(name),
      onPly: (ply) => this.browse(ply),
      onChat: (message) => this.sendChat(message),
      onFlip: () => {
        this.flipped = !this.flipped;
        this.render();
      },
    });
    this.board = new ChessBoard(root.querySelector('[data-chess-board]'), {
      onMove: (uci, dragged) => this.sendMove(uci, !dragged),
      onPremove: (uci) => this.setPremove(uci),
      onPremoveCancel: () => this.setPremove(null),
    });
    this.clocks = new ChessClocks({});
    this.clocks.setTimeControl(this.game.tc);
    this.socket = gameSocket({
      path: `/ws/game/${encodeURIComponent(this.gameId)}/?lag=1`,
      onMessage: (message) => this.handleMessage(message),
      panel: this.panel,
    });
    this.listenForKeys();
    this.render();
    this.socket.connect();
    requestAnimationFrame(() => this.frame());
  }

  // -- who is who ---------------------------------------------------------------------------

  get myColor() {
    if (this.you.role !== 'player') return null;
    if (this.game.white.username === this.you.username) return 'white';
    if (this.game.black.username === this.you.username) return 'black';
    return null;
  }

  get started() {
    return this.game.status === 'started';
  }

  colorOfUsername(username) {
    if (!username) return null;
    if (username === this.game.white.username) return 'white';
    if (username === this.game.black.username) return 'black';
    return null;
  }

  /** A winner as the server gives it (a colour, or a username from the database) as a colour. */
  winnerColor(winner) {
    if (winner === 'white' || winner === 'black') return winner;
    return this.colorOfUsername(winner);
  }

  // -- from the server ----------------------------------------------------------------------

  // Messages come in version order (the socket sees to it); spectators' chat comes without one.
  handleMessage(message) {
    const now = performance.now();
    if (message.type === 'lagProbe') {
      this.socket.send({ type: 'lagEcho', id: message.id }); // The server times the round trip.
    } else if (message.type === 'gameState') {
      this.applyGameState(message, now);
    } else if (message.type === 'error') {
      this.handleError(message);
    } else {
      this.applyEvent(message, this.arrivalTime(message, now));
    }
  }

  /**
   * When the event "arrived" for the clocks: now, unless it is clearly a replay of an older
   * event (after a reconnect), whose clock figure is then aged by how old it is.
   */
  arrivalTime(message, now) {
    if (typeof message.ts !== 'number') return now;
    const lateness = Date.now() - message.ts; // latency plus the difference between clocks
    this.tsOffset = this.tsOffset === null ? lateness : Math.min(this.tsOffset, lateness);
    const age = lateness - this.tsOffset;
    return age > REPLAY_AGE_MS ? now - age : now;
  }

  // A gameState replaces everything we knew: it is the server's fresh picture.
  applyGameState(state, now) {
    this.you = state.you || this.you;
    const game = this.game;
    game.loaded = true;
    game.status = state.status || game.status;
    game.live = 'fen' in state;
    if (state.white?.username !== undefined) {
      game.white = { username: state.white.username, connected: state.white.connected };
      game.black = { username: state.black.username, connected: state.black.connected };
    } else if (Array.isArray(state.players) && state.players.length >= 2) {
      game.white = { username: state.players[0].username, connected: undefined };
      game.black = { username: state.players[1].username, connected: undefined };
    }
    game.tc = state.tc || state.settings?.tc || game.tc;
    game.fen = state.fen || null;
    game.initialFen = state.initial_fen || START_FEN;
    if (Array.isArray(state.moves)) game.moves = state.moves.slice();
    if (Array.isArray(state.sans)) game.sans = state.sans.slice();
    game.legal = state.legal_moves || [];
    game.check = typeof state.check === 'boolean' ? state.check : null;
    game.offers = {
      draw: state.draw_offer || null,
      takeback: state.takeback_offer || null,
      rematch: state.rematch_offer || null,
    };
    const result = state.result || {};
    game.reason = state.reason ?? result.reason ?? null;
    game.winner = this.winnerColor(result.winner ?? state.winner ?? null);
    if (!game.winner && game.status === 'white_wins') game.winner = 'white';
    if (!game.winner && game.status === 'black_wins') game.winner = 'black';

    this.clocks.setTimeControl(game.tc);
    if (state.clock) this.clocks.update(state.clock, now);
    const firstMove = state.first_move_ms_left;
    this.firstMoveDeadline = this.started && typeof firstMove === 'number' ? now + firstMove : null;
    const opponent = this.myColor && game[otherColor(this.myColor)];
    this.opponentGone =
      this.started && opponent?.connected === false ? { claimAt: now + DEFAULT_CLAIM_AFTER_MS } : null;
    this.pendingMove = null;
    this.premove = null;
    this.board.cancelInteraction();
    if (!this.started) this.clocks.freeze(now);
    // A finished game the engine no longer holds comes without its moves: ask the API.
    if (!game.live && !this.started) this.loadSummary();
    this.render();
  }

  async loadSummary() {
    if (this.summaryLoading) return;
    this.summaryLoading = true;
    try {
      const response = await fetch(`/api/games/${encodeURIComponent(this.gameId)}`, {
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const summary = await response.json();
      const game = this.game;
      if (summary.white?.username) game.white = { ...game.white, username: summary.white.username };
      if (summary.black?.username) game.black = { ...game.black, username: summary.black.username };
      if (Array.isArray(summary.moves) && summary.moves.length >= game.moves.length) {
        game.moves = summary.moves.slice();
        game.fen = null; // rebuilt from the moves
        game.check = null;
      }
      if (Array.isArray(summary.sans) && summary.sans.length >= game.sans.length) game.sans = summary.sans.slice();
      game.tc = summary.tc || game.tc;
      game.reason = game.reason ?? summary.reason ?? null;
      game.winner = game.winner || this.winnerColor(summary.winner);
      if (summary.clock) {
        const now = performance.now();
        this.clocks.setTimeControl(game.tc);
        this.clocks.update({ white: summary.clock.white, black: summary.clock.black, running: null }, now);
        this.clocks.freeze(now);
      }
      this.render();
    } catch {
      showToast('Could not load the moves of this game');
    } finally {
      this.summaryLoading = false;
    }
  }

  applyEvent(event, now) {
    const game = this.game;
    const mine = this.myColor;
    const byOpponent = mine && event.by && event.by !== mine;
    switch (event.type) {
      case 'move':
        this.applyMove(event, now);
        return;
      case 'takeback':
        this.applyTakeback(event, now);
        return;
      case 'gameEnd':
        this.applyGameEnd(event, now);
        return;
      case 'drawOffer':
        game.offers.draw = event.by;
        this.panel.addNotice(`${capitalize(event.by)} offers a draw`);
        if (byOpponent) showToast('Your opponent offers a draw', 'info');
        break;
      case 'drawDeclined':
        if (game.offers.draw && game.offers.draw !== event.by) {
          this.panel.addNotice(`${capitalize(event.by)} declined the draw`);
          if (byOpponent) showToast('Draw offer declined', 'info');
        }
        game.offers.draw = null;
        break;
      case 'takebackOffer':
        game.offers.takeback = event.by;
        this.panel.addNotice(`${capitalize(event.by)} proposes a takeback`);
        if (byOpponent) showToast('Your opponent proposes a takeback', 'info');
        break;
      case 'takebackDeclined':
        if (game.offers.takeback && game.offers.takeback !== event.by) {
          this.panel.addNotice(`${capitalize(event.by)} declined the takeback`);
          if (byOpponent) showToast('Takeback declined', 'info');
        }
        game.offers.takeback = null;
        break;
      case 'rematchOffer':
        game.offers.rematch = event.by;
        this.rematchDeclined = false;
        this.panel.addNotice(`${capitalize(event.by)} wants a rematch`);
        if (byOpponent) showToast('Your opponent wants a rematch', 'info');
        break;
      case 'rematch':
        this.applyRematch(event);
        break;
      case 'moretime':
        this.clocks.update(event.clock, now);
        this.panel.addNotice(`+${Math.round((event.ms || 15000) / 1000)} s for ${event.to}`);
        if (mine && event.to === mine) showToast('Your opponent gave you 15 seconds', 'info');
        break;
      case 'presence':
        this.applyPresence(event, now);
        break;
      case 'chat':
        this.panel.addChat(event.room, event.username, event.message, {
          isYou: event.username === this.you.username,
          color: this.colorOfUsername(event.username),
        });
        return;
      default:
        return;
    }
    this.render();
  }

  applyMove(event, now) {
    const game = this.game;
    const mine = this.myColor;
    const byMe = Boolean(mine) && event.player === mine;
    const wasShown = byMe && this.pendingMove === event.uci;
    const ply = typeof event.ply === 'number' ? event.ply : game.moves.length + 1;
    game.moves = [...game.moves.slice(0, ply - 1), event.uci];
    game.sans = [...game.sans.slice(0, ply - 1), event.san || event.uci];
    game.fen = event.fen;
    game.legal = event.legal_moves || [];
    game.check = Boolean(event.check);
    this.clocks.update(event.clock, now);
    this.firstMoveDeadline = ply < 2 ? now + firstMoveTimeoutMs(game.tc) : null;
    // Ours is confirmed; and if the opponent moved, any move of ours in flight will be refused.
    this.pendingMove = null;
    if (this.myColor && this.viewPly !== null) this.viewPly = null;

    let animate = !wasShown;
    if (!byMe && mine && this.premove) {
      const premove = this.premove;
      this.premove = null;
      if (game.legal.includes(premove)) {
        this.render({ animate });
        this.sendMove(premove, true);
        return;
      }
      animate = true;
    }
    this.render({ animate });
  }

  applyTakeback(event, now) {
    const game = this.game;
    const ply = typeof event.ply === 'number' ? event.ply : (event.moves || []).length;
    game.moves = (event.moves || game.moves.slice(0, ply)).slice();
    game.sans = game.sans.slice(0, ply);
    game.fen = event.fen;
    game.legal = event.legal_moves || [];
    game.check = Boolean(event.check);
    game.offers.takeback = null;
    this.clocks.update(event.clock, now);
    this.firstMoveDeadline = ply < 2 ? now + firstMoveTimeoutMs(game.tc) : null;
    this.pendingMove = null;
    this.premove = null;
    this.viewPly = null;
    this.board.cancelInteraction();
    this.panel.addNotice('Takeback accepted');
    this.render();
  }

  applyGameEnd(event, now) {
    const game = this.game;
    game.status = event.status;
    game.reason = event.reason || null;
    game.winner = this.winnerColor(event.winner);
    game.legal = [];
    game.offers.draw = null;
    game.offers.takeback = null;
    this.clocks.freeze(now);
    this.pendingMove = null;
    this.premove = null;
    this.firstMoveDeadline = null;
    this.opponentGone = null;
    this.board.cancelInteraction();
    const { text } = describeResult(game);
    this.panel.addNotice(text);
    this.render();
  }

  applyRematch(event) {
    this.rematchGameId = event.game_id;
    this.game.offers.rematch = null;
    const players = [event.white, event.black];
    if (this.you.role === 'player' && players.includes(this.you.username)) {
      this.panel.setStatus('Rematch agreed: starting…', 'turn');
      location.assign(gamePageUrl(event.game_id));
      return;
    }
    this.panel.addNotice('The players start a rematch');
    showToast('The players start a rematch', 'info');
  }

  applyPresence(event, now) {
    const player = this.game[event.player];
    if (!player) return;
    const wasConnected = player.connected;
    player.connected = event.connected;
    if (this.myColor && event.player !== this.myColor && this.started) {
      this.opponentGone = event.connected ? null : { claimAt: now + (event.claim_after_ms ?? DEFAULT_CLAIM_AFTER_MS) };
      this.claimReady = false;
    }
    if (wasConnected !== event.connected) {
      this.panel.addNotice(`${player.username || capitalize(event.player)} ${event.connected ? 'is back' : 'left the game'}`);
    }
  }

  handleError(message) {
    showServerError(message);
    if (this.pendingMove && MOVE_ERRORS.has(message.code)) {
      // Put the board back to the last position the server confirmed.
      this.pendingMove = null;
      this.premove = null;
      this.render();
    }
  }

  // -- your side ----------------------------------------------------------------------------

  sendMove(uci, animate) {
    if (!this.canMoveNow()) return;
    if (!this.socket.send({ type: 'move', uci })) {
      showToast('Not connected: the move was not sent');
      this.render();
      return;
    }
    this.pendingMove = uci;
    this.render({ animate });
  }

  canMoveNow() {
    const color = this.myColor;
    return Boolean(color) && this.started && !this.pendingMove && this.livePosition().turn === color;
  }

  setPremove(uci) {
    this.premove = uci;
    this.render();
  }

  act(name) {
    const now = performance.now();
    if (now - (this.lastActionAt.get(name) ?? -Infinity) < ACTION_REPEAT_MS) return;
    this.lastActionAt.set(name, now);
    const mine = this.myColor;
    const offers = this.game.offers;
    let type = name;
    if (name === 'draw') type = offers.draw && offers.draw !== mine ? 'draw_accept' : 'draw_offer';
    if (name === 'takeback') type = offers.takeback && offers.takeback !== mine ? 'takeback_accept' : 'takeback_offer';
    if (name === 'rematch_decline') {
      // The server has no "no" to a rematch: just put the offer away.
      this.rematchDeclined = true;
      this.render();
      return;
    }
    if (!type) return;
    if (!this.socket.send({ type })) showToast('Not connected, try again in a moment');
  }

  sendChat(message) {
    const now = performance.now();
    if (now - this.lastChatAt < CHAT_MIN_INTERVAL_MS) {
      showToast('Slow down a little', 'info');
      return false;
    }
    if (!this.socket.send({ type: 'chat', message: message.slice(0, 500) })) {
      showToast('Not connected, try again in a moment');
      return false;
    }
    this.lastChatAt = now;
    return true;
  }

  /** ply: a number, or 'first' | 'prev' | 'next' | 'last'. */
  browse(ply) {
    const total = this.game.moves.length;
    const shown = this.viewPly ?? total;
    let target = ply;
    if (ply === 'first') target = 0;
    else if (ply === 'prev') target = shown - 1;
    else if (ply === 'next') target = shown + 1;
    else if (ply === 'last') target = total;
    target = Math.max(0, Math.min(total, Number(target)));
    if (Number.isNaN(target)) return;
    const next = target >= total ? null : target;
    if (next === this.viewPly) return;
    const forwardByOne = next === null ? shown === total - 1 : next === shown + 1;
    this.viewPly = next;
    this.board.cancelInteraction();
    this.render({ animate: forwardByOne });
  }

  listenForKeys() {
    document.addEventListener('keydown', (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target instanceof Element && event.target.closest('input, textarea, select, [contenteditable="true"]')) {
        return;
      }
      const keys = { ArrowLeft: 'prev', ArrowRight: 'next', Home: 'first', End: 'last' };
      const action = keys[event.key];
      if (!action || !this.game.moves.length) return;
      event.preventDefault();
      this.browse(action);
    });
  }

  // -- positions ----------------------------------------------------------------------------

  /** Every position of the game so far, from the moves (for browsing and repetitions). */
  positions() {
    const key = `${this.game.initialFen}|${this.game.moves.join(' ')}`;
    if (this.positionCache.key !== key) {
      this.positionCache = { key, positions: replay(this.game.initialFen, this.game.moves) };
    }
    return this.positionCache.positions;
  }

  /** The position as the server last told it (from its FEN, or rebuilt from the moves). */
  livePosition() {
    return this.game.fen ? parseFen(this.game.fen) : this.positions().at(-1);
  }

  /** What the board shows: {pieces, lastMove, check, turn}. */
  shownPosition() {
    const game = this.game;
    if (this.viewPly !== null) {
      const position = this.positions()[this.viewPly] || this.positions().at(-1);
      const lastMove = this.viewPly > 0 ? game.moves[this.viewPly - 1] : null;
      return { ...position, lastMove, inCheck: isInCheck(position.pieces, position.turn) };
    }
    const server = this.livePosition();
    if (this.pendingMove) {
      const optimistic = playUci(server, this.pendingMove);
      if (optimistic) {
        return { ...optimistic, lastMove: this.pendingMove, inCheck: isInCheck(optimistic.pieces, optimistic.turn) };
      }
    }
    const inCheck = game.check ?? isInCheck(server.pieces, server.turn);
    return { ...server, lastMove: game.moves.at(-1) || null, inCheck };
  }

  canClaimDraw(now) {
    const position = this.livePosition();
    if (position.halfmove >= 100) return true;
    const positions = this.positions();
    const last = repetitionKey(positions.at(-1));
    const repeats = positions.filter((candidate) => repetitionKey(candidate) === last).length;
    if (repeats >= 3) return true;
    return this.game.moves.length >= 2 && this.isClaimReady(now);
  }

  isClaimReady(now) {
    return Boolean(this.opponentGone) && now >= this.opponentGone.claimAt;
  }

  // -- drawing ------------------------------------------------------------------------------

  render({ animate = false } = {}) {
    const game = this.game;
    const mine = this.myColor;
    const now = performance.now();

    const orientation = (mine === 'black') !== this.flipped ? 'black' : 'white';
    const shown = this.shownPosition();
    const material = materialDiff(shown.pieces);
    const strip = (color) => ({
      color,
      username: game[color].username,
      connected: game[color].connected,
      isYou: color === mine,
      material: material[color],
    });
    this.panel.renderPlayers({ top: strip(otherColor(orientation)), bottom: strip(orientation) });
    if (orientation !== this.orientation) {
      this.orientation = orientation;
      this.board.setOrientation(orientation);
      this.clocks.setViews(this.panel.clockViews());
    }

    this.board.setPosition({
      pieces: shown.pieces,
      lastMove: shown.lastMove,
      check: shown.inCheck ? kingSquare(shown.pieces, shown.turn) : -1,
      animate,
    });
    const live = this.viewPly === null;
    const playing = Boolean(mine) && this.started && game.loaded;
    const myTurn = playing && live && !this.pendingMove && shown.turn === mine;
    this.board.setMovable({
      movableColor: myTurn ? mine : null,
      legal: myTurn ? game.legal : [],
      premoveColor: playing && live && !myTurn ? mine : null,
    });
    this.board.setPremove(playing ? this.premove : null);

    this.panel.setRole(mine ? `Playing ${mine}` : 'Watching', Boolean(mine));
    this.panel.setTimeControl([timeControlText(game.tc), speedName(game.tc)].filter(Boolean).join(' · ') || 'Match');
    if (game.loaded) this.panel.setChatRoom(this.you.role === 'player' ? 'player' : 'spectator');
    this.panel.renderMoves(game.sans, this.viewPly ?? game.sans.length, game.initialFen.split(' ')[1] === 'b');
    this.panel.renderNav({
      canBack: (this.viewPly ?? game.moves.length) > 0,
      canForward: this.viewPly !== null,
      browsing: this.viewPly !== null,
    });
    this.renderStatus(shown, now);
    this.renderControls(now);
  }

  renderStatus(shown, now) {
    const game = this.game;
    const mine = this.myColor;
    if (!game.loaded) {
      this.panel.setStatus('Loading the game…');
    } else if (this.viewPly !== null) {
      this.panel.setStatus(`Viewing move ${this.viewPly} of ${game.moves.length} · → or End to return`, 'browse');
    } else if (!this.started) {
      this.panel.setStatus(describeResult(game).headline, 'over');
    } else if (mine && shown.turn === mine && !this.pendingMove) {
      this.panel.setStatus(shown.inCheck ? 'Check! Your move' : 'Your move', shown.inCheck ? 'check' : 'turn');
    } else if (mine) {
      if (this.premove) this.panel.setStatus(`Premove ${this.premove} · right-click cancels`, 'premove');
      else this.panel.setStatus('Waiting for your opponent');
    } else {
      const turn = capitalize(shown.turn);
      this.panel.setStatus(shown.inCheck ? `${turn} is in check` : `${turn} to move`, shown.inCheck ? 'check' : '');
    }
  }

  renderControls(now) {
    const game = this.game;
    const mine = this.myColor;
    const opponent = mine && otherColor(mine);
    const offers = game.offers;
    this.claimReady = this.isClaimReady(now);

    if (mine && this.started && game.loaded) {
      const ply = game.moves.length;
      const blackFirst = game.initialFen.split(' ')[1] === 'b';
      const whiteMoves = blackFirst ? Math.floor(ply / 2) : Math.ceil(ply / 2);
      const myMoves = mine === 'white' ? whiteMoves : ply - whiteMoves;
      this.panel.renderActions({
        resign: ply < 2 ? 'abort' : 'resign',
        draw:
          offers.draw === mine
            ? { label: 'Draw offered', disabled: true }
            : { label: offers.draw === opponent ? 'Accept draw' : 'Offer draw', disabled: false },
        takeback:
          offers.takeback === mine
            ? { label: 'Takeback proposed', disabled: true }
            : { label: offers.takeback === opponent ? 'Accept takeback' : 'Takeback', disabled: myMoves === 0 },
        moretime: { disabled: false },
        claimDraw: this.canClaimDraw(now),
        claimVictory: ply >= 2 && this.claimReady,
      });
    } else {
      this.panel.renderActions(null);
    }
    this.panel.renderOffers(this.offerBars(now));
    this.panel.renderResult(this.resultBox());
  }

  offerBars(now) {
    const game = this.game;
    const mine = this.myColor;
    const offers = game.offers;
    const bars = [];
    if (this.started) {
      if (offers.draw) {
        if (mine && offers.draw !== mine) {
          bars.push({ kind: 'draw', text: 'Your opponent offers a draw', accept: 'draw_accept', decline: 'draw_decline' });
        } else {
          bars.push({ kind: 'info', text: mine ? 'Draw offer sent' : `${capitalize(offers.draw)} offers a draw` });
        }
      }
      if (offers.takeback) {
        if (mine && offers.takeback !== mine) {
          bars.push({
            kind: 'takeback',
            text: 'Your opponent proposes a takeback',
            accept: 'takeback_accept',
            decline: 'takeback_decline',
          });
        } else {
          bars.push({
            kind: 'info',
            text: mine ? 'Takeback proposed' : `${capitalize(offers.takeback)} proposes a takeback`,
          });
        }
      }
      if (mine && this.opponentGone) {
        const seconds = Math.max(0, Math.ceil((this.opponentGone.claimAt - now) / 1000));
        let text;
        if (game.moves.length < 2) text = 'Opponent left — you can abort the game';
        else if (seconds > 0) text = `Opponent left — you can claim victory in ${seconds} s`;
        else text = 'Opponent left — you can claim victory or a draw';
        bars.push({ kind: 'gone', text });
      }
    } else if (offers.rematch && !this.rematchGameId) {
      if (mine && offers.rematch !== mine && !this.rematchDeclined) {
        bars.push({
          kind: 'rematch',
          text: 'Your opponent wants a rematch',
          accept: 'rematch_accept',
          acceptLabel: 'Accept rematch',
          decline: 'rematch_decline',
        });
      } else if (!mine) {
        bars.push({ kind: 'info', text: `${capitalize(offers.rematch)} wants a rematch` });
      }
    }
    return bars;
  }

  resultBox() {
    const game = this.game;
    if (!game.loaded || this.started) return null;
    const mine = this.myColor;
    const { score, text } = describeResult(game);
    let you = '';
    let youTone = '';
    if (mine && game.status !== 'aborted') {
      if (!game.winner) you = 'Draw';
      else if (game.winner === mine) [you, youTone] = ['You won!', 'win'];
      else [you, youTone] = ['You lost', 'loss'];
    }
    let rematch = null;
    if (mine && game.live) {
      const offer = game.offers.rematch;
      if (this.rematchGameId) rematch = { label: 'Rematch agreed…', disabled: true };
      else if (offer === mine) rematch = { label: 'Rematch offered…', disabled: true };
      else if (offer && !this.rematchDeclined) rematch = { label: 'Accept rematch', action: 'rematch_accept', primary: true };
      else rematch = { label: 'Rematch', action: 'rematch_offer', primary: true };
    }
    const tc = game.tc;
    return {
      score,
      text,
      you,
      youTone,
      rematch,
      newOpponentUrl: mine && tc ? `/?play=chess&tc=${encodeURIComponent(tc)}` : null,
      pgnUrl: `/api/games/${encodeURIComponent(this.gameId)}/pgn`,
      rematchUrl: this.rematchGameId && !mine ? gamePageUrl(this.rematchGameId) : null,
    };
  }

  // Every frame: the clocks, and the countdowns (first move, claim) in words.
  frame() {
    const now = performance.now();
    this.clocks.render(now);
    const game = this.game;
    const texts = {};
    if (this.started && this.firstMoveDeadline !== null && game.moves.length < 2) {
      const seconds = Math.max(0, Math.ceil((this.firstMoveDeadline - now) / 1000));
      texts[this.livePosition().turn] = `first move: ${seconds} s`;
    }
    this.panel.showFirstMove(texts);
    if (this.opponentGone && this.started) {
      // The claim countdown ticks in the bar; the buttons appear when it reaches zero.
      this.panel.renderOffers(this.offerBars(now));
      if (this.isClaimReady(now) !== this.claimReady) this.renderControls(now);
    }
    requestAnimationFrame(() => this.frame());
  }
}

new ChessGameView(document.querySelector('[data-chess-game]'));
