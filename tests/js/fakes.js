// Stand-ins for the browser's timers and WebSocket, driven by hand from the tests.

/** setTimeout/clearTimeout and now() on a clock that moves only when `advance` says so. */
export class FakeTimers {
  constructor() {
    this.time = 0;
    this.nextId = 1;
    this.pending = new Map(); // id -> {at, callback}
    this.setTimeout = (callback, ms) => {
      const id = this.nextId++;
      this.pending.set(id, { at: this.time + ms, callback });
      return id;
    };
    this.clearTimeout = (id) => {
      this.pending.delete(id);
    };
    this.now = () => this.time;
  }

  /** Moves the clock on by `ms`, running every timer that falls due, in time order. */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.pending.entries()]
        .filter(([, timer]) => timer.at <= end)
        .sort(([, a], [, b]) => a.at - b.at);
      if (due.length === 0) break;
      const [id, timer] = due[0];
      this.pending.delete(id);
      this.time = timer.at;
      timer.callback();
    }
    this.time = end;
  }
}

/** A WebSocket the test opens, feeds and closes; every instance is kept in FakeWebSocket.all. */
export class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;
  static all = [];

  static reset() {
    FakeWebSocket.all = [];
  }

  static get last() {
    return FakeWebSocket.all.at(-1);
  }

  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    this.sent = [];
    this.listeners = { open: [], message: [], close: [] };
    this.closedByClient = false;
    FakeWebSocket.all.push(this);
  }

  addEventListener(type, listener) {
    this.listeners[type].push(listener);
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close() {
    this.closedByClient = true;
    this.readyState = FakeWebSocket.CLOSED;
  }

  // -- the server's side ---------------------------------------------------------------------

  open() {
    this.readyState = FakeWebSocket.OPEN;
    for (const listener of this.listeners.open) listener({});
  }

  receive(message) {
    const data = typeof message === 'string' ? message : JSON.stringify(message);
    for (const listener of this.listeners.message) listener({ data });
  }

  serverClose(code) {
    this.readyState = FakeWebSocket.CLOSED;
    for (const listener of this.listeners.close) listener({ code });
  }

  sentOfType(type) {
    return this.sent.filter((message) => message.type === type);
  }
}
