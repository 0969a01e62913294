// Lobby: the Snake matchmaking queue and the list of live games.

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

class SnakeQueue {
  constructor(panel) {
    this.idleView = panel.querySelector('[data-queue-idle]');
    this.waitingView = panel.querySelector('[data-queue-waiting]');
    this.statusText = panel.querySelector('[data-queue-status]');
    this.elapsedText = panel.querySelector('[data-queue-elapsed]');
    this.socket = null;
    this.queuedSince = null;
    this.elapsedTimer = null;
    panel.querySelector('[data-queue-play]').addEventListener('click', () => this.join());
    panel.querySelector('[data-queue-cancel]').addEventListener('click', () => this.cancel());
  }

  join() {
    if (this.socket) return;
    this.showWaiting('Connecting…');
    this.socket = new ReconnectingSocket({
      url: () => socketUrl('/ws/queue/?game=snake'),
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
      this.statusText.textContent =
        'Looking for players… (a game starts when 2+ players wait; 4 start at once)';
      this.startElapsedTimer();
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
    this.socket = null;
    this.queuedSince = null;
    clearInterval(this.elapsedTimer);
    this.idleView.hidden = false;
    this.waitingView.hidden = true;
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
  title.textContent = game.game === 'snake' ? 'Snake' : game.game;

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

function describePlayers(game) {
  if (game.players.length === 0) return game.mode === 'arena' ? 'Open to everyone' : 'No players';
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

function wantsToPlay() {
  const params = new URLSearchParams(location.search);
  if (params.get('play') !== 'snake') return false;
  // Drop the flag so a reload does not queue again.
  params.delete('play');
  const query = params.toString();
  history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  return true;
}

function main() {
  const queue = new SnakeQueue(document.querySelector('[data-queue]'));
  new LiveGames(document.querySelector('[data-live-games]')).start();
  if (wantsToPlay()) queue.join();
}

main();
