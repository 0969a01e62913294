// A JSON websocket that reconnects with backoff and notices silent (dead) connections.

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

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 5000];
const PING_EVERY_MS = 5000;
// A socket that hears nothing (not even a pong) for this long is treated as dead.
const SILENCE_LIMIT_MS = 10000;
const WATCHDOG_EVERY_MS = 1000;

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
 *   onMessage(msg)   every parsed JSON message
 *   onStatus(status) every status change
 *   onClosed(code)   the server closed with one of finalCloseCodes
 */
export class ReconnectingSocket {
  constructor({ url, finalCloseCodes, onMessage, onStatus = () => {}, onClosed = () => {} }) {
    this.url = url;
    this.finalCloseCodes = new Set(finalCloseCodes);
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onClosed = onClosed;
    this.ws = null;
    this.status = 'idle';
    this.failedAttempts = 0;
    this.lastHeardAt = 0;
    this.lastPingAt = 0;
    this.retryTimer = null;
    this.watchdogTimer = null;
  }

  connect() {
    this.setStatus(this.status === 'reconnecting' ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    this.lastHeardAt = Date.now();
    this.lastPingAt = Date.now();
    ws.addEventListener('message', (event) => this.handleMessage(event));
    ws.addEventListener('close', (event) => this.handleClose(ws, event.code));
    this.startWatchdog();
  }

  /** Sends `message` as JSON; false when the socket is not open. */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
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
    this.lastHeardAt = Date.now();
    this.failedAttempts = 0;
    this.setStatus('live');
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return; // The server only sends JSON; anything else is noise.
    }
    this.onMessage(message);
  }

  handleClose(ws, code) {
    if (ws !== this.ws) return; // An old socket we already gave up on.
    this.ws = null;
    this.stopTimers();
    if (this.finalCloseCodes.has(code)) {
      this.setStatus('closed');
      this.onClosed(code);
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = RETRY_DELAYS_MS[Math.min(this.failedAttempts, RETRY_DELAYS_MS.length - 1)];
    this.failedAttempts += 1;
    this.setStatus('reconnecting');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // Pings keep a quiet socket talking, so silence really means a dead connection.
  startWatchdog() {
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastHeardAt > SILENCE_LIMIT_MS) {
        this.dropDeadSocket();
      } else if (now - this.lastPingAt >= PING_EVERY_MS && this.send({ type: 'ping' })) {
        this.lastPingAt = now;
      }
    }, WATCHDOG_EVERY_MS);
  }

  dropDeadSocket() {
    const ws = this.ws;
    this.ws = null; // Its close event, whenever it comes, is now ignored.
    this.stopTimers();
    if (ws) ws.close();
    this.scheduleReconnect();
  }

  stopTimers() {
    clearInterval(this.watchdogTimer);
    clearTimeout(this.retryTimer);
    this.watchdogTimer = null;
    this.retryTimer = null;
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.onStatus(status);
  }
}

// The socket of a game page: reconnects until a final close, which the panel explains.
export function gameSocket({ url, onMessage, panel }) {
  return new ReconnectingSocket({
    url,
    finalCloseCodes: FINAL_GAME_CLOSE_CODES,
    onMessage,
    onStatus: (status) => panel.setConnection(status),
    onClosed: (code) => panel.showFatal(GAME_CLOSE_MESSAGES[code]),
  });
}
