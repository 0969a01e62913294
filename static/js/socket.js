// A JSON websocket that reconnects with backoff, pings to notice dead connections and, for game
// sockets, hands on versioned events strictly in order, reconnecting with ?v= to heal a gap.

import { EventOrder } from './event-order.js';

export const CLOSE = Object.freeze({
  CANCELLED: 4000,
  MATCHED: 4001,
  UNAUTHENTICATED: 4002,
  UNKNOWN_GAME: 4004,
  TOO_MANY_MESSAGES: 1008,
  FRAME_TOO_BIG: 1009,
});

// Closes of a game socket after which reconnecting cannot help, and what to tell the player.
const FINAL_GAME_CLOSE_CODES = [
  CLOSE.MATCHED,
  CLOSE.UNAUTHENTICATED,
  CLOSE.UNKNOWN_GAME,
  CLOSE.TOO_MANY_MESSAGES,
  CLOSE.FRAME_TOO_BIG,
];
const GAME_CLOSE_MESSAGES = {
  [CLOSE.MATCHED]: 'This game has moved on',
  [CLOSE.UNAUTHENTICATED]: 'Please reload to sign in again',
  [CLOSE.UNKNOWN_GAME]: 'No such game',
  [CLOSE.TOO_MANY_MESSAGES]: 'Disconnected: too many messages',
  [CLOSE.FRAME_TOO_BIG]: 'Disconnected: message too big',
};

export const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 5000];
// As lila-ws: ping 2.5 s after each pong, and take 9 s without a word as a dead connection.
export const PING_AFTER_PONG_MS = 2500;
export const SILENCE_LIMIT_MS = 9000;

export function socketUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}`;
}

/**
 * Status goes connecting -> live (first message received) -> reconnecting -> live ... -> closed.
 *
 * options:
 *   url()            the address to (re)connect to; called before every attempt
 *   finalCloseCodes  close codes after which the socket stays closed
 *   onMessage(msg)   every parsed JSON message except pongs (game sockets: in version order)
 *   onStatus(status) every status change
 *   onClosed(code)   the server closed with one of finalCloseCodes
 *   order            an EventOrder for a game socket (adds ?v= to reconnects), or null
 *   WebSocketImpl, timers ({setTimeout, clearTimeout}), now(): the browser's, unless a test
 *                    passes its own
 */
export class ReconnectingSocket {
  constructor({
    url,
    finalCloseCodes,
    onMessage,
    onStatus = () => {},
    onClosed = () => {},
    order = null,
    WebSocketImpl = globalThis.WebSocket,
    timers = globalThis,
    now = () => performance.now(),
  }) {
    this.url = url;
    this.finalCloseCodes = new Set(finalCloseCodes);
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onClosed = onClosed;
    this.order = order;
    this.WebSocketImpl = WebSocketImpl;
    this.timers = timers;
    this.now = now;
    this.ws = null;
    this.status = 'idle';
    this.failedAttempts = 0;
    this.lastHeardAt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.silenceTimer = null;
  }

  connect() {
    if (this.status === 'idle') this.setStatus('connecting');
    const ws = new this.WebSocketImpl(this.address());
    this.ws = ws;
    this.lastHeardAt = this.now();
    // Events of a socket we already gave up on are ignored.
    ws.addEventListener('open', () => {
      if (ws === this.ws) this.ping();
    });
    ws.addEventListener('message', (event) => {
      if (ws === this.ws) this.handleMessage(event);
    });
    ws.addEventListener('close', (event) => {
      if (ws === this.ws) this.handleClose(event.code);
    });
    this.watchSilence();
  }

  // A game socket resumes from the last event applied: the server replays what we missed.
  address() {
    const lastV = this.order?.lastV ?? null;
    if (lastV === null) return this.url();
    const address = new URL(this.url());
    address.searchParams.set('v', String(lastV));
    return address.toString();
  }

  /** Sends `message` as JSON; false when the socket is not open. */
  send(message) {
    if (!this.ws || this.ws.readyState !== this.WebSocketImpl.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Closes for good, from our side. */
  close() {
    this.stopTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    this.setStatus('closed');
  }

  handleMessage(event) {
    this.lastHeardAt = this.now();
    this.failedAttempts = 0;
    this.setStatus('live');
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return; // The server only sends JSON objects; anything else is noise.
    }
    if (typeof message !== 'object' || message === null) return;
    if (message.type === 'pong') {
      this.timers.clearTimeout(this.pingTimer);
      this.pingTimer = this.timers.setTimeout(() => this.ping(), PING_AFTER_PONG_MS);
      if (this.order?.missedBefore(message)) this.resync();
      return;
    }
    const verdict = this.order ? this.order.accept(message) : 'apply';
    if (verdict === 'gap') this.resync();
    else if (verdict === 'apply') this.onMessage(message);
  }

  handleClose(code) {
    this.ws = null;
    this.stopTimers();
    if (this.finalCloseCodes.has(code)) {
      this.setStatus('closed');
      this.onClosed(code);
      return;
    }
    this.scheduleReconnect();
  }

  ping() {
    this.send({ type: 'ping' });
  }

  // Checks when the limit could next be reached, rather than on every message.
  watchSilence() {
    const quietFor = this.now() - this.lastHeardAt;
    if (quietFor >= SILENCE_LIMIT_MS) {
      this.dropSocket();
      this.scheduleReconnect();
      return;
    }
    this.silenceTimer = this.timers.setTimeout(() => this.watchSilence(), SILENCE_LIMIT_MS - quietFor);
  }

  scheduleReconnect() {
    const delay = RETRY_DELAYS_MS[Math.min(this.failedAttempts, RETRY_DELAYS_MS.length - 1)];
    this.failedAttempts += 1;
    this.setStatus('reconnecting');
    this.retryTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  // An event was lost: reconnect at once from the last one applied (no backoff, no banner).
  resync() {
    this.dropSocket();
    this.connect();
  }

  // What we hold cannot take the next event (a client-side check failed): reconnect without ?v=
  // for a fresh gameState.
  restart() {
    this.order?.forget();
    this.resync();
  }

  dropSocket() {
    const ws = this.ws;
    this.ws = null; // Its close event, whenever it comes, is now ignored.
    this.stopTimers();
    if (ws) ws.close();
  }

  stopTimers() {
    for (const timer of [this.retryTimer, this.pingTimer, this.silenceTimer]) this.timers.clearTimeout(timer);
    this.retryTimer = null;
    this.pingTimer = null;
    this.silenceTimer = null;
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.onStatus(status);
  }
}

/**
 * The socket of a game page: versioned, reconnects until a final close, which the panel explains.
 * path: the game socket's path and query, without `v` (the socket adds it when resuming).
 */
export function gameSocket({ path, onMessage, panel }) {
  return new ReconnectingSocket({
    url: () => socketUrl(path),
    finalCloseCodes: FINAL_GAME_CLOSE_CODES,
    onMessage,
    onStatus: (status) => panel.setConnection(status),
    onClosed: (code) => panel.showFatal(GAME_CLOSE_MESSAGES[code]),
    order: new EventOrder(),
  });
}
