import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';

import { EventOrder } from '../../static/js/event-order.js';
import { PING_AFTER_PONG_MS, ReconnectingSocket, RETRY_DELAYS_MS, SILENCE_LIMIT_MS } from '../../static/js/socket.js';
import { FakeTimers, FakeWebSocket } from './fakes.js';

const GAME_URL = 'ws://kogame.test/ws/game/abc/?lag=1';

function makeSocket({ versioned = true, finalCloseCodes = [4004] } = {}) {
  const timers = new FakeTimers();
  const received = [];
  const statuses = [];
  const closedWith = [];
  const socket = new ReconnectingSocket({
    url: () => GAME_URL,
    finalCloseCodes,
    onMessage: (message) => received.push(message),
    onStatus: (status) => statuses.push(status),
    onClosed: (code) => closedWith.push(code),
    order: versioned ? new EventOrder() : null,
    WebSocketImpl: FakeWebSocket,
    timers,
    now: timers.now,
  });
  socket.connect();
  return { socket, timers, received, statuses, closedWith };
}

/** Opens the current fake socket and hands it the first gameState (v). */
function openWithState(v) {
  const ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ type: 'gameState', v, game: 'chess' });
  return ws;
}

const versionOf = (url) => new URL(url).searchParams.get('v');

beforeEach(() => FakeWebSocket.reset());

describe('connecting and pinging', () => {
  test('goes live on the first message and hands it on parsed', () => {
    const { received, statuses } = makeSocket();
    openWithState(0);
    assert.deepEqual(statuses, ['connecting', 'live']);
    assert.deepEqual(received, [{ type: 'gameState', v: 0, game: 'chess' }]);
    assert.equal(FakeWebSocket.last.url, GAME_URL);
  });

  test('pings when the socket opens, then 2.5 s after each pong, never sooner', () => {
    const { timers } = makeSocket();
    const ws = openWithState(0);
    assert.equal(ws.sentOfType('ping').length, 1);
    timers.advance(5000);
    assert.equal(ws.sentOfType('ping').length, 1, 'no pong yet: no second ping');
    ws.receive({ type: 'pong', v: 0 });
    timers.advance(PING_AFTER_PONG_MS - 1);
    assert.equal(ws.sentOfType('ping').length, 1);
    timers.advance(1);
    assert.equal(ws.sentOfType('ping').length, 2);
  });

  test('pongs are not handed to the page', () => {
    const { received } = makeSocket();
    const ws = openWithState(3);
    ws.receive({ type: 'pong', v: 3 });
    assert.deepEqual(
      received.map((message) => message.type),
      ['gameState'],
    );
  });

  test('send reports false while the socket is not open', () => {
    const { socket } = makeSocket();
    assert.equal(socket.send({ type: 'chat', message: 'hi' }), false);
    FakeWebSocket.last.open();
    assert.equal(socket.send({ type: 'chat', message: 'hi' }), true);
    assert.deepEqual(FakeWebSocket.last.sentOfType('chat'), [{ type: 'chat', message: 'hi' }]);
  });
});

describe('dead connections and reconnecting', () => {
  test('9 s without a word drops the socket and reconnects after the first backoff', () => {
    const { timers, statuses } = makeSocket();
    const ws = openWithState(0);
    timers.advance(SILENCE_LIMIT_MS - 1);
    assert.equal(ws.closedByClient, false);
    timers.advance(1);
    assert.equal(ws.closedByClient, true);
    assert.equal(statuses.at(-1), 'reconnecting');
    assert.equal(FakeWebSocket.all.length, 1);
    timers.advance(RETRY_DELAYS_MS[0]);
    assert.equal(FakeWebSocket.all.length, 2);
  });

  test('any message restarts the silence count', () => {
    const { timers } = makeSocket();
    const ws = openWithState(0);
    timers.advance(8000);
    ws.receive({ type: 'pong', v: 0 });
    timers.advance(8000);
    assert.equal(ws.closedByClient, false);
    timers.advance(1000);
    assert.equal(ws.closedByClient, true);
  });

  test('a connection that never opens counts as silent too', () => {
    const { timers } = makeSocket();
    timers.advance(SILENCE_LIMIT_MS);
    assert.equal(FakeWebSocket.all[0].closedByClient, true);
    timers.advance(RETRY_DELAYS_MS[0]);
    assert.equal(FakeWebSocket.all.length, 2);
  });

  test('backs off 0.5, 1, 2, 4, 5, 5 s between failed attempts, and starts over once heard', () => {
    const { timers } = makeSocket();
    const gaps = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const count = FakeWebSocket.all.length;
      FakeWebSocket.last.serverClose(1006);
      const closedAt = timers.now();
      while (FakeWebSocket.all.length === count) timers.advance(100);
      gaps.push(timers.now() - closedAt);
    }
    assert.deepEqual(gaps, [500, 1000, 2000, 4000, 5000, 5000]);

    openWithState(0);
    FakeWebSocket.last.serverClose(1006);
    timers.advance(RETRY_DELAYS_MS[0]);
    assert.equal(FakeWebSocket.all.length, 8, 'heard from the server: the next retry is quick again');
  });

  test('a final close code ends it: closed, reported, no retry', () => {
    const { timers, statuses, closedWith } = makeSocket({ finalCloseCodes: [4004, 4002] });
    openWithState(0);
    FakeWebSocket.last.serverClose(4004);
    assert.deepEqual(closedWith, [4004]);
    assert.equal(statuses.at(-1), 'closed');
    timers.advance(60_000);
    assert.equal(FakeWebSocket.all.length, 1);
  });

  test('other close codes reconnect', () => {
    const { timers, closedWith } = makeSocket({ finalCloseCodes: [4004] });
    openWithState(0);
    FakeWebSocket.last.serverClose(1011);
    timers.advance(RETRY_DELAYS_MS[0]);
    assert.deepEqual(closedWith, []);
    assert.equal(FakeWebSocket.all.length, 2);
  });

  test('a socket given up on cannot deliver messages or start another reconnect', () => {
    const { timers, received } = makeSocket();
    const old = openWithState(0);
    timers.advance(SILENCE_LIMIT_MS);
    timers.advance(RETRY_DELAYS_MS[0]);
    old.receive({ type: 'chat', username: 'late', message: 'x', room: 'spectator' });
    old.serverClose(1006);
    timers.advance(RETRY_DELAYS_MS.at(-1));
    assert.equal(FakeWebSocket.all.length, 2);
    assert.equal(received.length, 1);
  });

  test('close() from our side stops for good', () => {
    const { socket, timers, statuses } = makeSocket();
    openWithState(0);
    socket.close();
    timers.advance(60_000);
    assert.equal(statuses.at(-1), 'closed');
    assert.equal(FakeWebSocket.all.length, 1);
  });

  test('reconnects resume from the last applied version; before any state, no v', () => {
    const { timers } = makeSocket();
    FakeWebSocket.last.serverClose(1006);
    timers.advance(RETRY_DELAYS_MS[0]);
    assert.equal(versionOf(FakeWebSocket.last.url), null);

    const ws = openWithState(7);
    ws.receive({ type: 'move', v: 8 });
    ws.serverClose(1006);
    timers.advance(RETRY_DELAYS_MS[0]);
    assert.equal(versionOf(FakeWebSocket.last.url), '8');
    assert.equal(new URL(FakeWebSocket.last.url).searchParams.get('lag'), '1', 'keeps its own query');
  });
});

describe('versioned events', () => {
  test('events apply strictly in order; replays of applied ones are skipped', () => {
    const { received } = makeSocket();
    const ws = openWithState(4);
    ws.receive({ type: 'move', v: 5 });
    ws.receive({ type: 'move', v: 5 });
    ws.receive({ type: 'move', v: 3 });
    ws.receive({ type: 'drawOffer', v: 6 });
    assert.deepEqual(
      received.map((message) => [message.type, message.v]),
      [
        ['gameState', 4],
        ['move', 5],
        ['drawOffer', 6],
      ],
    );
  });

  test('a skipped version is a gap: not applied, and an immediate reconnect with ?v= of the last applied', () => {
    const { received, statuses } = makeSocket();
    const ws = openWithState(4);
    ws.receive({ type: 'move', v: 5 });
    ws.receive({ type: 'move', v: 7 });
    assert.equal(ws.closedByClient, true);
    assert.equal(FakeWebSocket.all.length, 2, 'no backoff for a resync');
    assert.equal(versionOf(FakeWebSocket.last.url), '5');
    assert.equal(received.at(-1).v, 5);
    assert.ok(!statuses.includes('reconnecting'), 'a resync shows no reconnecting banner');

    const healed = FakeWebSocket.last;
    healed.open();
    healed.receive({ type: 'move', v: 6 });
    healed.receive({ type: 'move', v: 7 });
    assert.deepEqual(
      received.map((message) => message.v),
      [4, 5, 6, 7],
    );
  });

  test('a fresh gameState sets a new baseline, lower or higher', () => {
    const { received } = makeSocket();
    const ws = openWithState(40);
    ws.receive({ type: 'gameState', v: 1_000_050 });
    ws.receive({ type: 'move', v: 1_000_051 });
    ws.receive({ type: 'gameState', v: 2 });
    ws.receive({ type: 'move', v: 3 });
    assert.deepEqual(
      received.map((message) => message.v),
      [40, 1_000_050, 1_000_051, 2, 3],
    );
    assert.equal(FakeWebSocket.all.length, 1);
  });

  test('messages without v (spectator chat, errors) pass through and never move the version', () => {
    const { received } = makeSocket();
    const ws = openWithState(9);
    ws.receive({ type: 'chat', username: 'carol', message: 'nice', room: 'spectator' });
    ws.receive({ type: 'error', code: 'not_player', message: 'no' });
    ws.receive({ type: 'move', v: 10 });
    ws.receive({ type: 'pong', v: 10 });
    assert.deepEqual(
      received.map((message) => message.type),
      ['gameState', 'chat', 'error', 'move'],
    );
    assert.equal(FakeWebSocket.all.length, 1, 'no resync');
  });

  test('a pong ahead of the last applied version means a lost event: resync from it', () => {
    const { received } = makeSocket();
    const ws = openWithState(9);
    ws.receive({ type: 'pong', v: 11 });
    assert.equal(ws.closedByClient, true);
    assert.equal(versionOf(FakeWebSocket.last.url), '9');
    assert.equal(received.length, 1);
  });

  test('a pong at the last applied version, or before the first state, changes nothing', () => {
    makeSocket();
    const ws = FakeWebSocket.last;
    ws.open();
    ws.receive({ type: 'pong', v: null });
    ws.receive({ type: 'gameState', v: 3 });
    ws.receive({ type: 'pong', v: 3 });
    assert.equal(FakeWebSocket.all.length, 1);
    assert.equal(ws.closedByClient, false);
  });

  test('restart: at once, without ?v=, and nothing applies until the fresh gameState', () => {
    const { socket, received } = makeSocket();
    const ws = openWithState(4);
    ws.receive({ type: 'tick', v: 5 });
    socket.restart();
    assert.equal(ws.closedByClient, true);
    assert.equal(FakeWebSocket.all.length, 2, 'no backoff');
    assert.equal(versionOf(FakeWebSocket.last.url), null);

    const fresh = FakeWebSocket.last;
    fresh.open();
    fresh.receive({ type: 'tick', v: 6 });
    fresh.receive({ type: 'gameState', v: 6 });
    fresh.receive({ type: 'tick', v: 7 });
    assert.deepEqual(
      received.map((message) => [message.type, message.v]),
      [
        ['gameState', 4],
        ['tick', 5],
        ['gameState', 6],
        ['tick', 7],
      ],
    );
  });

  test('an unversioned socket (the lobby queue) hands on everything as it comes', () => {
    const { received } = makeSocket({ versioned: false });
    const ws = FakeWebSocket.last;
    ws.open();
    ws.receive({ type: 'queued', v: 5 });
    ws.receive({ type: 'queued', v: 2 });
    ws.receive('not json');
    assert.deepEqual(
      received.map((message) => message.v),
      [5, 2],
    );
  });
});
