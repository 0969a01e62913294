// The Snake game page: keeps the game state from the socket and hands it to the board and panel.

import { gameSocket } from './socket.js';
import { PlayerColors, SnakeBoard } from './snake-board.js';
import { listenForControls, TurnQueue } from './snake-input.js';
import { joinPrompt } from './snake-join.js';
import { describeDeath, GamePanel } from './snake-panel.js';
import { applyTick } from './snake-tick.js';
import { showServerError, showToast } from './toast.js';

// A respawn not answered by a live snake within this long may be sent again.
const RESPAWN_WAIT_MS = 1500;

class SnakeGame {
  constructor(root) {
    this.root = root;
    this.gameId = root.dataset.gameId;
    this.mode = root.dataset.gameMode;
    this.you = { username: root.dataset.username, role: 'spectator' };
    this.status = 'started';
    this.tickHz = 10;
    // The board as the server last described it (gameState, then each tick applied): null before the first state.
    this.snapshot = null;
    this.players = [];
    this.deathCauses = new Map();
    this.hasBoard = false;
    this.leftWhileAway = false;
    this.respawnSentAt = -Infinity;

    this.panel = new GamePanel(root);
    this.colors = new PlayerColors();
    this.board = new SnakeBoard(root.querySelector('[data-board-canvas]'), this.colors);
    this.boardElement = root.querySelector('[data-board]');
    this.turns = new TurnQueue((direction) => this.socket.send({ type: 'direction', direction }));
    this.socket = gameSocket({
      path: `/ws/game/${encodeURIComponent(this.gameId)}/`,
      onMessage: (message) => this.handleMessage(message),
      panel: this.panel,
    });

    this.bindControls(root);
    this.board.setMe(this.you.username);
    this.board.start();
    this.socket.connect();
    this.updateControls();
  }

  bindControls(root) {
    listenForControls({
      surface: root.querySelector('[data-board-canvas]'),
      isActive: () => this.isPlaying(),
      onDirection: (direction) => {
        if (this.mySnake()?.alive) this.turns.press(direction);
      },
      onConfirm: () => this.respawn(),
    });
    this.panel.joinButton.addEventListener('click', () => this.respawn());
    const chatForm = root.querySelector('[data-chat-form]');
    chatForm.addEventListener('submit', (event) => this.sendChat(event));
    // Escape leaves the chat box, so the letter keys steer again.
    chatForm.elements.message.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') event.target.blur();
    });
    root.querySelector('[data-reload]').addEventListener('click', () => location.reload());
  }

  // -- from the server -----------------------------------------------------------------------

  // Messages come in version order (the socket sees to it); chat may come without a version.
  handleMessage(message) {
    if (message.type === 'gameState') {
      this.applyGameState(message);
    } else if (message.type === 'error') {
      showServerError(message);
      this.respawnSentAt = -Infinity; // A refused respawn may be tried again at once.
      this.updateControls();
    } else if (message.type === 'tick') {
      this.onTick(message);
    } else if (message.type === 'chat') {
      this.panel.addChat(message.username, message.message, this.colors.colorOf(message.username));
    } else if (message.type === 'gameEnd') {
      this.applyGameEnd(message);
    }
  }

  // A gameState replaces everything we knew, whatever its v: it is the server's fresh picture.
  applyGameState(state) {
    // Only a reconnect brings a second state: a snake of ours missing from it left while we were away.
    const hadSnake = Boolean(this.mySnake());
    this.you = state.you || this.you;
    this.status = state.status;
    this.tickHz = state.settings?.tick_hz || this.tickHz;
    this.board.setTickRate(this.tickHz);
    this.board.setMe(this.you.username);
    this.deathCauses.clear();
    // One shape for live and finished games alike (a finished one shows its snakes dead).
    this.hasBoard = true;
    this.layOutBoard(state.width, state.height);
    this.snapshot = state;
    this.board.reset(state);
    const me = state.players.find((player) => player.username === this.you.username);
    if (me?.alive) this.turns.reset(me.direction);
    this.players = state.players;
    if (hadSnake && !this.mySnake()) this.leftWhileAway = true;
    this.applyPlayers(this.players, state.countdown || 0);
    if (state.status === 'started') this.panel.hideGameOver();
    else this.panel.showGameOver({ status: state.status, ...state.result }, this.you.username);
  }

  // Ticks carry deltas (docs/protocol.md, section 6): each applies to the board the one before left.
  onTick(tick) {
    const snapshot = applyTick(this.snapshot, tick);
    if (snapshot === null) {
      // Never while versions follow each other (the socket sees to it); if it happens, start afresh.
      this.socket.restart();
      return;
    }
    const wasAlive = Boolean(this.mySnake()?.alive);
    this.snapshot = snapshot;
    const events = tick.events || [];
    this.board.advance(snapshot, events);
    for (const event of events) this.applyHappening(event);
    this.applyPlayers(snapshot.players, snapshot.countdown);
    const me = this.mySnake();
    if (me?.alive && !wasAlive) this.turns.reset(me.direction);
    else if (me?.alive) this.turns.onTick(me.direction);
  }

  // The page lays the board out at the game's aspect ratio (see .board-column in the CSS).
  layOutBoard(width, height) {
    const aspect = String(width / height);
    if (this.root.style.getPropertyValue('--board-aspect') !== aspect) {
      this.root.style.setProperty('--board-aspect', aspect);
    }
  }

  applyHappening(event) {
    const isMe = event.player === this.you.username;
    if (event.kind === 'died') {
      this.deathCauses.set(event.player, event.cause);
      this.panel.addNotice(`${event.player} ${describeDeath(event.cause)}`);
      if (isMe) showToast(`You ${describeDeath(event.cause)}`, 'info');
    } else if (event.kind === 'joined' || event.kind === 'respawned') {
      this.deathCauses.delete(event.player);
      if (isMe) this.leftWhileAway = false;
      this.panel.addNotice(event.kind === 'joined' ? `${event.player} joined` : `${event.player} is back`);
    } else if (event.kind === 'left') {
      this.deathCauses.delete(event.player);
      // Only the last of your sockets closing makes your snake leave: this is a replay after a drop.
      if (isMe) this.leftWhileAway = true;
      this.panel.addNotice(`${event.player} left`);
    } else if (event.kind === 'no_room' && isMe) {
      this.respawnSentAt = -Infinity;
      showToast('No room on the board right now, try again', 'info');
    }
  }

  applyGameEnd(end) {
    this.status = end.status;
    this.panel.showGameOver(end, this.you.username);
    this.updateControls();
  }

  applyPlayers(players, countdown) {
    this.players = players;
    this.colors.update(players);
    const countdownSeconds = this.status === 'started' ? Math.ceil(countdown / this.tickHz) : 0;
    this.panel.showCountdown(countdownSeconds);
    this.panel.renderScoreboard(players.map((player) => this.scoreboardRow(player)));
    this.updateControls();
  }

  scoreboardRow(player) {
    const isDead = player.alive === false;
    return {
      username: player.username,
      score: player.score,
      color: this.colors.colorOf(player.username),
      isYou: player.username === this.you.username,
      status: isDead ? describeDeath(this.deathCauses.get(player.username)) : '',
    };
  }

  // -- your side -----------------------------------------------------------------------------

  mySnake() {
    return this.players.find((player) => player.username === this.you.username);
  }

  isPlaying() {
    return this.you.role === 'player' && this.status === 'started';
  }

  respawn() {
    if (!this.joinPrompt() || this.isRespawnPending()) return;
    if (this.socket.send({ type: 'respawn' })) this.respawnSentAt = performance.now();
    this.updateControls();
  }

  isRespawnPending() {
    return performance.now() - this.respawnSentAt < RESPAWN_WAIT_MS;
  }

  /** What the "join" overlay says, or null when it should not show. */
  joinPrompt() {
    return joinPrompt({
      mode: this.mode,
      playing: this.isPlaying(),
      hasBoard: this.hasBoard,
      me: this.mySnake(),
      leftWhileAway: this.leftWhileAway,
      death: describeDeath(this.deathCauses.get(this.you.username)),
      busy: this.isRespawnPending(),
    });
  }

  updateControls() {
    const inGame = this.mode !== 'arena' || Boolean(this.mySnake());
    const playing = this.isPlaying() && inGame;
    this.panel.setRole(playing ? 'Playing' : 'Watching', playing);
    this.panel.showJoin(this.joinPrompt());
    // Swipes must not scroll the page while you steer.
    this.boardElement.classList.toggle('is-steering', this.isPlaying());
  }

  sendChat(event) {
    event.preventDefault();
    const input = event.target.elements.message;
    const message = input.value.trim();
    if (!message) return;
    if (this.socket.send({ type: 'chat', message })) input.value = '';
    else showToast('Not connected, try again in a moment');
  }
}

new SnakeGame(document.querySelector('[data-snake-game]'));
