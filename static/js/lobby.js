// Lobby: the Snake and chess matchmaking queues, private rooms and the list of live games.

import { speedName, timeControlText } from './chess-clock.js';
import { installPieceStyles } from './chess-pieces.js';
import { RoomForm } from './room-form.js';
import { CLOSE, ReconnectingSocket, socketUrl } from './socket.js';
import { showServerError, showToast } from './toast.js';

const GAMES_REFRESH_MS = 3000;
const QUEUE_CLOSE_CODES = [
  CLOSE.CANCELLED,
  CLOSE.MATCHED,
  CLOSE.UNAUTHENTICATED,
  CLOSE.TOO_MANY_MESSAGES,
  CLOSE.FRAME_TOO_BIG,
];

function gamePageUrl(gameId) {
  return `/game/${encodeURIComponent(gameId)}/`;
}

// -- matchmaking queue ---------------------------------------------------------------------

const WAITING_TEXT = {
  snake: () => 'Looking for players… (a game starts when 2+ players wait; 4 start at once)',
  chess: (tc) => `Looking for an opponent · ${describeTimeControl(tc)}`,
};

function describeTimeControl(tc) {
  return [timeControlText(tc), speedName(tc)].filter(Boolean).join(' ');
}

/** One game's queue: `/ws/queue/?game=<kind>` (chess adds `&tc=`). One search at a time. */
class MatchQueue {
  static active = null;

  constructor(panel) {
    this.game = panel.dataset.queueGame;
    this.tc = null;
    this.idleView = panel.querySelector('[data-queue-idle]');
    this.waitingView = panel.querySelector('[data-queue-waiting]');
    this.statusText = panel.querySelector('[data-queue-status]');
    this.elapsedText = panel.querySelector('[data-queue-elapsed]');
    this.socket = null;
    this.queuedSince = null;
    this.elapsedTimer = null;
    for (const button of panel.querySelectorAll('[data-queue-play]')) {
      button.addEventListener('click', () => this.join(button.dataset.tc || null));
    }
    panel.querySelector('[data-queue-cancel]').addEventListener('click', () => this.cancel());
    this.botOffer = panel.querySelector('[data-queue-bot-offer]');
    panel.querySelector('[data-queue-play-bots]').addEventListener('click', () => this.socket?.send({ type: 'play_bots' }));
  }

  queueUrl() {
    const tc = this.tc ? `&tc=${encodeURIComponent(this.tc)}` : '';
    return `/ws/queue/?game=${encodeURIComponent(this.game)}${tc}`;
  }

  join(tc = null) {
    if (this.socket) return;
    // Searching here stops a search for another game.
    if (MatchQueue.active && MatchQueue.active !== this) MatchQueue.active.cancel();
    MatchQueue.active = this;
    this.tc = tc;
    this.showWaiting(this.game === 'chess' ? `Connecting… (${describeTimeControl(tc)})` : 'Connecting…');
    this.socket = new ReconnectingSocket({
      url: () => socketUrl(this.queueUrl()),
      finalCloseCodes: QUEUE_CLOSE_CODES,
      onMessage: (message) => this.handleMessage(message),
      onStatus: (status) => {
        if (status === 'reconnecting') this.statusText.textContent = 'Connection lost, retrying…';
      },
      onClosed: (code) => this.handleClosed(code),
    });
    this.socket.connect();
  }

  cancel() {
    // The server confirms with close code 4000; without an open socket there is nothing to tell it.
    if (!this.socket || !this.socket.send({ type: 'cancel' })) this.leave();
  }

  handleMessage(message) {
    if (message.type === 'queued') {
      this.queuedSince ??= Date.now();
      if (message.tc) this.tc = message.tc;
      this.statusText.textContent = WAITING_TEXT[this.game]?.(this.tc) || 'Looking for players…';
      this.startElapsedTimer();
    } else if (message.type === 'bot_offer') {
      this.botOffer.hidden = false;
    } else if (message.type === 'match_found') {
      this.statusText.textContent = 'Match found! Starting…';
      location.assign(gamePageUrl(message.game_id));
    } else if (message.type === 'error') {
      showServerError(message);
    }
  }

  handleClosed(code) {
    if (code === CLOSE.MATCHED) return; // match_found already sent us to the game.
    if (code === CLOSE.UNAUTHENTICATED) showToast('Please reload to sign in again');
    if (code === CLOSE.TOO_MANY_MESSAGES) showToast('Disconnected: too many messages');
    if (code === CLOSE.FRAME_TOO_BIG) showToast('Disconnected: message too big');
    this.leave();
  }

  leave() {
    if (this.socket) this.socket.close();
    if (MatchQueue.active === this) MatchQueue.active = null;
    this.socket = null;
    this.queuedSince = null;
    clearInterval(this.elapsedTimer);
    this.idleView.hidden = false;
    this.waitingView.hidden = true;
    this.botOffer.hidden = true;
  }

  showWaiting(status) {
    this.statusText.textContent = status;
    this.elapsedText.textContent = '';
    this.idleView.hidden = true;
    this.waitingView.hidden = false;
  }

  startElapsedTimer() {
    clearInterval(this.elapsedTimer);
    const render = () => {
      this.elapsedText.textContent = formatDuration(Date.now() - this.queuedSince);
    };
    render();
    this.elapsedTimer = setInterval(render, 1000);
  }
}

function formatDuration(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

// -- live games ----------------------------------------------------------------------------

class LiveGames {
  constructor(section) {
    this.list = section.querySelector('[data-games-list]');
    this.emptyNote = section.querySelector('[data-games-empty]');
    this.errorNote = section.querySelector('[data-games-error]');
    this.url = section.dataset.gamesUrl;
    this.loading = false;
    this.timer = null;
  }

  start() {
    this.refresh();
    // Skip refreshes while the tab is hidden, and catch up as soon as it shows again.
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.refresh();
    });
  }

  async refresh() {
    if (this.loading) return;
    this.loading = true;
    clearTimeout(this.timer);
    try {
      const response = await fetch(this.url, { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { games } = await response.json();
      this.render(games);
      this.errorNote.hidden = true;
    } catch {
      this.errorNote.hidden = false;
    } finally {
      this.loading = false;
    }
    if (!document.hidden) this.timer = setTimeout(() => this.refresh(), GAMES_REFRESH_MS);
  }

  render(games) {
    this.list.replaceChildren(...games.map(gameListItem));
    this.emptyNote.hidden = games.length > 0;
  }
}

function gameListItem(game) {
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.className = 'game-row';
  link.href = gamePageUrl(game.id);

  const title = document.createElement('span');
  title.className = 'game-row-title';
  title.textContent = GAME_TITLES[game.game] || game.game;

  const mode = document.createElement('span');
  mode.className = `badge badge-${game.mode}`;
  mode.textContent = game.mode === 'arena' ? 'Arena' : 'Match';

  const players = document.createElement('span');
  players.className = 'game-row-players';
  players.textContent = describePlayers(game);

  const age = document.createElement('span');
  age.className = 'game-row-age';
  age.textContent = timeAgo(game.created_at);

  const watch = document.createElement('span');
  watch.className = 'game-row-watch';
  watch.textContent = game.mode === 'arena' ? 'Enter →' : 'Watch →';

  link.append(title, mode, players, age, watch);
  item.append(link);
  return item;
}

const GAME_TITLES = { snake: 'Snake', chess: 'Chess' };

function describePlayers(game) {
  if (game.players.length === 0) return game.mode === 'arena' ? 'Open to everyone' : 'No players';
  if (game.game === 'chess' && game.players.length === 2) return `${game.players[0]} vs ${game.players[1]}`;
  const shown = game.players.slice(0, 3).join(', ');
  const more = game.players.length - 3;
  return more > 0 ? `${shown} +${more}` : shown;
}

function timeAgo(isoDate) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(isoDate)) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}

// -- page ----------------------------------------------------------------------------------

const DEFAULT_CHESS_TC = '3+2';

/** {game, tc} from `?play=snake` or `?play=chess&tc=3+2`, or null. */
function wantsToPlay() {
  const params = new URLSearchParams(location.search);
  const game = params.get('play');
  if (game !== 'snake' && game !== 'chess') return null;
  // A "+" left unencoded in the address reads as a space.
  const tc = game === 'chess' ? (params.get('tc') || DEFAULT_CHESS_TC).trim().replaceAll(' ', '+') : null;
  // Drop the flags so a reload does not queue again.
  params.delete('play');
  params.delete('tc');
  const query = params.toString();
  history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  return { game, tc };
}

function main() {
  installPieceStyles();
  const queues = new Map();
  for (const panel of document.querySelectorAll('[data-queue]')) {
    queues.set(panel.dataset.queueGame, new MatchQueue(panel));
  }
  new LiveGames(document.querySelector('[data-live-games]')).start();
  new RoomForm(document.querySelector('[data-room-form]'));
  const wanted = wantsToPlay();
  const queue = wanted && queues.get(wanted.game);
  if (queue) {
    if (wanted.game === 'chess') queue.idleView.closest('[data-queue]').scrollIntoView({ block: 'nearest' });
    queue.join(wanted.tc);
  }
}

main();
