import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { labelPlacement } from '../../static/js/snake-board.js';
import { AWAY_TOO_LONG, joinPrompt } from '../../static/js/snake-join.js';

describe('the arena join card', () => {
  const arena = {
    mode: 'arena',
    playing: true,
    hasBoard: true,
    leftWhileAway: false,
    death: 'hit a wall',
    busy: false,
  };

  test('a newcomer is asked to join', () => {
    assert.equal(joinPrompt({ ...arena, me: undefined }).title, 'Join the arena');
  });

  test('a snake that left while you were away is said so, with the respawn button', () => {
    const prompt = joinPrompt({ ...arena, me: undefined, leftWhileAway: true });
    assert.equal(prompt.title, AWAY_TOO_LONG);
    assert.equal(prompt.button, 'Respawn');
  });

  test('a dead snake: how it died and its score', () => {
    const prompt = joinPrompt({ ...arena, me: { username: 'bob', alive: false, score: 7 } });
    const expected = { title: 'You hit a wall', detail: 'Score this life: 7', button: 'Respawn', busy: false };
    assert.deepEqual(prompt, expected);
  });

  test('no card for a living snake, a match, a spectator, or before the board', () => {
    assert.equal(joinPrompt({ ...arena, me: { alive: true } }), null);
    assert.equal(joinPrompt({ ...arena, me: undefined, mode: 'match' }), null);
    assert.equal(joinPrompt({ ...arena, me: undefined, playing: false }), null);
    assert.equal(joinPrompt({ ...arena, me: undefined, hasBoard: false }), null);
  });
});

describe('snake name labels', () => {
  const board = { cellPx: 20, size: [400, 300], text: [60, 11], margin: 2 };

  test('above the head, centred on it, in the middle of the board', () => {
    assert.deepEqual(labelPlacement({ ...board, head: [200, 150] }), { x: 200, y: 139, baseline: 'bottom' });
  });

  test('pulled in from the left and right edges', () => {
    assert.equal(labelPlacement({ ...board, head: [10, 150] }).x, 32);
    assert.equal(labelPlacement({ ...board, head: [390, 150] }).x, 368);
  });

  test('below the head on the top row', () => {
    const place = labelPlacement({ ...board, head: [200, 10] });
    assert.equal(place.baseline, 'top');
    assert.ok(place.y >= 10 && place.y + 11 <= 300);
  });
});
