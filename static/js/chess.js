// The chess game page: the socket feeds the game (chess-game.js); the board, the panel, the
// sounds and the tab title show what chess-view.js makes of it.

import { ChessBoard } from './chess-board.js';
import { ChessGame } from './chess-game.js';
import { kingSquare } from './chess-logic.js';
import { ChessPanel } from './chess-panel.js';
import {
  actions,
  boardControls,
  chatRoom,
  firstMoveTexts,
  isYourTurn,
  offerBars,
  playerStrips,
  resultBox,
  roleText,
  statusLine,
  timeControlBadge,
} from './chess-view.js';
import { Sounds } from './sounds.js';
import { gameSocket } from './socket.js';
import { showServerError, showToast } from './toast.js';

const CHAT_MIN_INTERVAL_MS = 400;
const YOUR_TURN_TITLE = '● Your turn – Kogame';

class ChessPage {
  constructor(root) {
    this.lastChatAt = -Infinity;
    this.pageTitle = document.title;
    this.sounds = new Sounds();
    this.panel = new ChessPanel(root, {
      onAction: (name) => this.act(name),
      onPly: (ply) => this.browse(ply),
      onChat: (message) => this.sendChat(message),
      onFlip: () => {
        this.game.flipped = !this.game.flipped;
        this.render();
      },
      onMute: () => this.panel.showMuted(this.sounds.toggleMuted()),
    });
    this.panel.showMuted(this.sounds.muted);
    this.game = new ChessGame({
      gameId: root.dataset.gameId,
      username: root.dataset.username,
      tc: root.dataset.tc || '',
      out: {
        notice: (text) => this.panel.addNotice(text),
        chat: (line) => this.panel.addChat(line),
        toast: showToast,
        error: showServerError,
        sound: (name) => this.sounds.play(name),
        navigate: (url) => {
          this.panel.setStatus({ text: 'Rematch agreed: starting…', tone: 'turn' });
          location.assign(url);
        },
      },
    });
    this.board = new ChessBoard(root.querySelector('[data-chess-board]'), {
      onMove: (uci, dragged) => this.sendMove(uci, !dragged),
      onPremove: (uci) => this.setPremove(uci),
      onPremoveCancel: () => this.setPremove(null),
    });
    this.socket = gameSocket({
      path: `/ws/game/${encodeURIComponent(root.dataset.gameId)}/?lag=1`,
      onMessage: (message) => this.handleMessage(message),
      panel: this.panel,
    });
    this.listenForKeys();
    this.render();
    this.socket.connect();
    requestAnimationFrame(() => this.frame());
  }

  handleMessage(message) {
    if (message.type === 'lagProbe') {
      this.socket.send({ type: 'lagEcho', id: message.id }); // The server times the round trip.
      return;
    }
    const { animate, premove, reset } = this.game.receive(message, performance.now());
    if (reset) this.board.cancelInteraction();
    this.render({ animate });
    if (premove) this.sendMove(premove, true);
  }

  // -- your side ----------------------------------------------------------------------------

  sendMove(uci, animate) {
    if (!this.game.canMoveNow()) return;
    if (!this.socket.send({ type: 'move', uci })) {
      showToast('Not connected: the move was not sent');
      this.render();
      return;
    }
    this.game.moveSent(uci);
    this.render({ animate });
  }

  setPremove(uci) {
    this.game.setPremove(uci);
    this.render();
  }

  act(name) {
    const type = this.game.intentFor(name, performance.now());
    if (type && !this.socket.send({ type })) showToast('Not connected, try again in a moment');
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

  browse(ply) {
    const change = this.game.browse(ply);
    if (!change) return;
    this.board.cancelInteraction();
    this.render(change);
  }

  listenForKeys() {
    document.addEventListener('keydown', (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target instanceof Element && event.target.closest('input, textarea, select, [contenteditable="true"]')) {
        return;
      }
      const keys = { ArrowLeft: 'prev', ArrowRight: 'next', Home: 'first', End: 'last' };
      const action = keys[event.key];
      if (!action || !this.game.state.moves.length) return;
      event.preventDefault();
      this.browse(action);
    });
  }

  // -- drawing ------------------------------------------------------------------------------

  render({ animate = false } = {}) {
    const game = this.game;
    const now = performance.now();
    const shown = game.shownPosition();
    this.panel.renderPlayers(playerStrips(game, shown));
    this.board.setOrientation(game.orientation());
    this.board.setPosition({
      pieces: shown.pieces,
      lastMove: shown.lastMove,
      check: shown.inCheck ? kingSquare(shown.pieces, shown.turn) : -1,
      animate,
    });
    const controls = boardControls(game, shown);
    this.board.setMovable(controls);
    this.board.setPremove(controls.premove);

    this.panel.setRole(roleText(game), Boolean(game.myColor));
    this.panel.setTimeControl(timeControlBadge(game));
    const room = chatRoom(game);
    if (room) this.panel.setChatRoom(room);
    const { sans, initialFen } = game.state;
    this.panel.renderMoves(sans, game.viewPly ?? sans.length, initialFen.split(' ')[1] === 'b');
    this.panel.renderNav({
      canBack: (game.viewPly ?? sans.length) > 0,
      canForward: game.viewPly !== null,
      browsing: game.viewPly !== null,
    });
    this.panel.setStatus(statusLine(game, shown));
    this.panel.renderActions(actions(game, now));
    this.renderTimed(now);
    const title = isYourTurn(game) ? YOUR_TURN_TITLE : this.pageTitle;
    if (document.title !== title) document.title = title;
  }

  // What changes with time alone: the clocks, countdowns, claim buttons, the rematch's expiry.
  renderTimed(now) {
    const game = this.game;
    this.panel.renderClocks(game.clocks.display(now));
    this.panel.showFirstMove(firstMoveTexts(game, now));
    this.panel.renderOffers(offerBars(game, now));
    this.panel.renderResult(resultBox(game, now));
    game.checkLowTime(now);
  }

  frame() {
    const now = performance.now();
    this.renderTimed(now);
    // The claim buttons appear when the countdown reaches zero.
    if (this.game.opponentGone && this.game.started) this.panel.renderActions(actions(this.game, now));
    requestAnimationFrame(() => this.frame());
  }
}

new ChessPage(document.querySelector('[data-chess-game]'));
