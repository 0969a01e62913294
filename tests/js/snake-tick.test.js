import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { applyTick } from '../../static/js/snake-tick.js';

// Seeded bot games recorded by tests/rules/snake_tick_games.py, which the Python decoder replays too.
const recorded = JSON.parse(readFileSync(new URL('./fixtures/snake-ticks.json', import.meta.url), 'utf8'));

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function player(username, body, { direction = 'RIGHT', alive = true, score = 0 } = {}) {
  return { username, head: body[0] ?? null, body, direction, alive, score };
}

/** What a tick says of a player: the contract's fields and the length, without the body. */
function entry(username, head, length, { direction = 'RIGHT', alive = true, score = 0 } = {}) {
  return { username, head, direction, alive, score, length };
}

const BOARD = deepFreeze({
  tick: 7,
  width: 10,
  height: 10,
  arena: true,
  countdown: 0,
  players: [player('ann', [[4, 4], [3, 4], [2, 4]]), player('bob', [[4, 7], [3, 7]])],
  food: [[5, 4], [0, 0]],
});

describe('recorded games', () => {
  recorded.games.forEach((game, index) => {
    test(`game ${index + 1}: every tick applied to the board before it gives the full board`, () => {
      let board = deepFreeze(game.first);
      game.ticks.forEach((tick, at) => {
        board = applyTick(board, deepFreeze(tick));
        assert.deepEqual(board, game.boards[at], `tick ${tick.tick}`);
      });
    });
  });
});

describe('one tick', () => {
  test('a move puts the new head in front and cuts the body to its length', () => {
    const tick = { tick: 8, countdown: 0, players: [entry('ann', [4, 3], 3, { direction: 'UP' }), entry('bob', [5, 7], 2)] };
    const after = applyTick(BOARD, tick);
    assert.deepEqual(after.players, [
      player('ann', [[4, 3], [4, 4], [3, 4]], { direction: 'UP' }),
      player('bob', [[5, 7], [4, 7]]),
    ]);
    assert.equal(after.tick, 8);
    assert.deepEqual([after.width, after.height, after.arena, after.food], [10, 10, true, BOARD.food]);
  });

  test('eating keeps the tail; the eaten food goes and the new food comes last', () => {
    const tick = {
      tick: 8,
      countdown: 0,
      players: [entry('ann', [5, 4], 4, { score: 1 }), entry('bob', [5, 7], 2)],
      food_removed: [[5, 4]],
      food_added: [[9, 9]],
    };
    const after = applyTick(BOARD, tick);
    assert.deepEqual(after.players[0], player('ann', [[5, 4], [4, 4], [3, 4], [2, 4]], { score: 1 }));
    assert.deepEqual(after.food, [[0, 0], [9, 9]]);
  });

  test('a dead snake has no body', () => {
    const tick = { tick: 8, countdown: 0, players: [entry('ann', null, 0, { alive: false }), entry('bob', [5, 7], 2)] };
    assert.deepEqual(applyTick(BOARD, tick).players[0], player('ann', [], { alive: false }));
  });

  test('during the countdown heads stay put and bodies with them', () => {
    const waiting = { ...BOARD, countdown: 3 };
    const tick = { tick: 8, countdown: 2, players: [entry('ann', [4, 4], 3, { direction: 'UP' }), entry('bob', [4, 7], 2)] };
    const after = applyTick(waiting, tick);
    assert.deepEqual(after.players.map((snake) => snake.body), [BOARD.players[0].body, BOARD.players[1].body]);
    assert.equal(after.countdown, 2);
  });

  test('a snake placed this tick comes whole; one missing from the tick has left', () => {
    const placed = [[6, 2], [6, 3], [6, 4]];
    const tick = { tick: 8, countdown: 0, players: [entry('bob', [5, 7], 2), { ...entry('cat', [6, 2], 3, { direction: 'UP' }), body: placed }] };
    const after = applyTick(BOARD, tick);
    assert.deepEqual(after.players, [player('bob', [[5, 7], [4, 7]]), player('cat', placed, { direction: 'UP' })]);
  });

  test('a live snake the board has no body for: the tick does not follow, null', () => {
    const tick = { tick: 8, countdown: 0, players: [entry('ann', [5, 4], 3), entry('dan', [1, 1], 3)] };
    assert.equal(applyTick(BOARD, tick), null);
  });
});
