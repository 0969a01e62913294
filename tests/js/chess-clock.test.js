import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  ChessClocks,
  firstMoveTimeoutMs,
  formatClock,
  parseTimeControl,
  speedName,
  timeControlText,
} from '../../static/js/chess-clock.js';

function clocks(tc, clock, receivedAt = 0) {
  const shown = new ChessClocks();
  shown.setTimeControl(tc);
  shown.update(clock, receivedAt);
  return shown;
}

describe('formatClock', () => {
  test('minutes and seconds, hours from an hour on', () => {
    assert.equal(formatClock(180_000), '03:00');
    assert.equal(formatClock(61_999), '01:01');
    assert.equal(formatClock(10_000), '00:10');
    assert.equal(formatClock(3_600_000), '1:00:00');
    assert.equal(formatClock(5_025_000), '1:23:45');
  });

  test('tenths under ten seconds, never below zero', () => {
    assert.equal(formatClock(9_999), '00:09.9');
    assert.equal(formatClock(4_250), '00:04.2');
    assert.equal(formatClock(99), '00:00.0');
    assert.equal(formatClock(0), '00:00.0');
    assert.equal(formatClock(-1200), '00:00.0');
  });
});

describe('time controls', () => {
  test('labels read, written and named as Lichess does', () => {
    assert.deepEqual(parseTimeControl('3+2'), { initialMs: 180_000, incrementMs: 2000 });
    assert.deepEqual(parseTimeControl('0.25+0'), { initialMs: 15_000, incrementMs: 0 });
    assert.equal(parseTimeControl('blitz'), null);
    assert.equal(timeControlText('0.25+0'), '¼+0');
    assert.equal(timeControlText('15+10'), '15+10');
    const labels = ['0.25+0', '1+0', '3+2', '10+5', '30+0'];
    assert.deepEqual(labels.map(speedName), ['UltraBullet', 'Bullet', 'Blitz', 'Rapid', 'Classical']);
    assert.deepEqual(labels.map(firstMoveTimeoutMs), [15_000, 20_000, 25_000, 30_000, 35_000]);
  });
});

describe('ChessClocks.display', () => {
  test('only the running side runs down, from the moment its event arrived', () => {
    const shown = clocks('3+0', { white: 180_000, black: 170_000, running: 'white' }, 1000);
    const at = shown.display(4500);
    assert.deepEqual(at.white, { text: '02:56', running: true, low: false, out: false });
    assert.deepEqual(at.black, { text: '02:50', running: false, low: false, out: false });
  });

  test('no clock runs before the second ply', () => {
    const shown = clocks('3+0', { white: 180_000, black: 180_000, running: null });
    const later = shown.display(60_000);
    assert.equal(later.white.text, '03:00');
    assert.equal(later.white.running, false);
    assert.equal(later.black.running, false);
  });

  test('low time: under a tenth of the starting time, and never less than 10 s', () => {
    const blitz = clocks('3+0', { white: 18_500, black: 17_900, running: 'white' });
    assert.equal(blitz.display(0).white.low, false);
    assert.equal(blitz.display(0).black.low, true, '18 s is a tenth of 3 minutes');
    assert.equal(blitz.display(501).white.low, true);

    const bullet = clocks('1+0', { white: 10_500, black: 9_900, running: null });
    assert.deepEqual([bullet.display(0).white.low, bullet.display(0).black.low], [false, true]);
  });

  test('tenths show as the running clock goes under 10 s', () => {
    const shown = clocks('1+0', { white: 10_400, black: 60_000, running: 'white' });
    assert.equal(shown.display(0).white.text, '00:10');
    assert.equal(shown.display(700).white.text, '00:09.7');
  });

  test('a running clock stops at zero and waits for the server', () => {
    const shown = clocks('1+0', { white: 1000, black: 60_000, running: 'white' });
    assert.deepEqual(shown.display(5000).white, { text: '00:00.0', running: true, low: true, out: true });
  });

  test('at the end of the game the clocks stop where they are shown', () => {
    const shown = clocks('3+0', { white: 100_000, black: 90_000, running: 'black' });
    shown.stop(30_000);
    const atEnd = shown.display(30_000);
    assert.equal(atEnd.black.text, '01:00');
    assert.equal(atEnd.black.running, false);
    assert.deepEqual(shown.display(90_000), atEnd);
  });

  test("a finished game's clocks show as the server gives them, never run", () => {
    const shown = new ChessClocks();
    shown.setTimeControl('3+2');
    shown.showFinal({ white: 175_400, black: 176_520, running: 'white' }, 0);
    const atEnd = shown.display(0);
    assert.deepEqual(atEnd.white, { text: '02:55', running: false, low: false, out: false });
    assert.equal(atEnd.black.text, '02:56');
    assert.deepEqual(shown.display(600_000), atEnd);
  });

  test('no clock from the server yet: dashes', () => {
    const shown = new ChessClocks();
    assert.deepEqual(shown.display(0).white, { text: '--:--', running: false, low: false, out: false });
  });
});
