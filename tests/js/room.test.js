import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { botGameFields, roomCreateFields, roomPageUrl } from '../../static/js/room-form.js';
import {
  applyRoomMessage,
  botSeats,
  emptyRoom,
  isReady,
  memberRows,
  playerCountChoices,
  refusalText,
  seatsText,
  startState,
  timeControlChoices,
} from '../../static/js/room-state.js';

const player = (username, ready = false) => ({ username, ready_to_play: ready });

function roomFrom(...messages) {
  return messages.reduce(applyRoomMessage, emptyRoom());
}

const joined = (user, owner, players, isOwner) => ({ type: 'joined', user, owner, is_owner: isOwner, players });
const snakeSettings = { type: 'settings_changed', game: 'snake', bot_level: 'medium', target_players: 4 };

describe('applyRoomMessage', () => {
  test('joined and player_left set the owner and the players', () => {
    const room = roomFrom(joined('bob', 'ann', [player('ann'), player('bob')], false));
    assert.deepEqual(room, { owner: 'ann', isOwner: false, players: [player('ann'), player('bob')], settings: null });
    const after = applyRoomMessage(room, {
      type: 'player_left',
      user_left: 'ann',
      owner: 'bob',
      is_owner: true,
      players: [player('bob')],
    });
    assert.equal(after.owner, 'bob');
    assert.equal(after.isOwner, true);
    assert.deepEqual(after.players, [player('bob')]);
  });

  test('ready_status marks one player and leaves the room it came from untouched', () => {
    const room = roomFrom(joined('bob', 'ann', [player('ann'), player('bob')], true));
    const after = applyRoomMessage(room, { type: 'ready_status', user: 'bob', is_ready: true, owner: 'ann', is_owner: true });
    assert.deepEqual(after.players, [player('ann'), player('bob', true)]);
    assert.deepEqual(room.players, [player('ann'), player('bob')]);
  });

  test('settings_changed keeps the settings without the type', () => {
    const room = roomFrom(snakeSettings);
    assert.deepEqual(room.settings, { game: 'snake', bot_level: 'medium', target_players: 4 });
  });

  test('other messages change nothing', () => {
    const room = roomFrom(joined('ann', 'ann', [player('ann')], true));
    assert.equal(applyRoomMessage(room, { type: 'chat_message', user: 'ann', message: 'hi' }), room);
  });
});

describe('what the page shows', () => {
  test('member rows mark the host, the viewer and who is ready', () => {
    const room = roomFrom(joined('bob', 'ann', [player('ann', true), player('bob')], false));
    assert.deepEqual(memberRows(room, 'bob'), [
      { username: 'ann', ready: true, host: true, you: false },
      { username: 'bob', ready: false, host: false, you: true },
    ]);
    assert.equal(isReady(room, 'ann'), true);
    assert.equal(isReady(room, 'bob'), false);
  });

  test('only the host sees Start, enabled once everyone is ready', () => {
    const waiting = roomFrom(joined('bob', 'ann', [player('ann', true), player('bob')], true));
    assert.deepEqual(startState(waiting), { visible: true, enabled: false, hint: 'Waiting for bob to get ready' });
    const ready = applyRoomMessage(waiting, { type: 'ready_status', user: 'bob', is_ready: true, owner: 'ann', is_owner: true });
    assert.deepEqual(startState(ready), { visible: true, enabled: true, hint: 'Everyone is ready: start when you like' });
    const guestView = { ...ready, isOwner: false };
    assert.deepEqual(startState(guestView), {
      visible: false,
      enabled: false,
      hint: 'Everyone is ready: waiting for ann to start',
    });
  });

  test('bots fill the seats up to target_players', () => {
    const room = roomFrom(joined('bob', 'ann', [player('ann'), player('bob')], true), snakeSettings);
    assert.equal(botSeats(room), 2);
    assert.equal(seatsText(room), '2 of 4 players · 2 bots (medium) fill the empty seats');
    const full = roomFrom(joined('ann', 'ann', [player('ann'), player('bob')], true), { ...snakeSettings, target_players: 2 });
    assert.equal(seatsText(full), '2 of 2 players');
  });

  test('player counts never go below the players present; chess is two', () => {
    const room = roomFrom(joined('cy', 'ann', [player('ann'), player('bob'), player('cy')], true), snakeSettings);
    assert.deepEqual(playerCountChoices(room), [3, 4, 5, 6, 7, 8]);
    const chess = roomFrom({ type: 'settings_changed', game: 'chess', bot_level: 'hard', target_players: 2, tc: '3+2' });
    assert.deepEqual(playerCountChoices(chess), [2]);
  });

  test("a room's unusual time control is offered first", () => {
    assert.equal(timeControlChoices('3+2').includes('3+2'), true);
    assert.equal(timeControlChoices('7+1')[0], '7+1');
  });

  test('refusals in words, with a fallback', () => {
    assert.match(refusalText('room_full'), /full/);
    assert.match(refusalText(null), /does not exist or is full/);
  });
});

describe('the lobby form', () => {
  test('Snake sends its seats, chess its clock', () => {
    assert.deepEqual(roomCreateFields({ game: 'snake', tc: '3+2', target_players: '6', bot_level: 'easy' }), {
      game: 'snake',
      target_players: 6,
      bot_level: 'easy',
    });
    assert.deepEqual(roomCreateFields({ game: 'chess', tc: '5+3', target_players: '4', bot_level: 'hard' }), {
      game: 'chess',
      tc: '5+3',
      bot_level: 'hard',
    });
    assert.equal(roomPageUrl('ABC234'), '/room/ABC234/');
  });

  test('playing the computer adds the colour in chess only', () => {
    const chess = { game: 'chess', tc: '3+2', target_players: '4', bot_level: 'hard', color: 'black' };
    assert.deepEqual(botGameFields(chess), { game: 'chess', tc: '3+2', bot_level: 'hard', color: 'black' });
    const snake = { game: 'snake', tc: '3+2', target_players: '3', bot_level: 'easy', color: 'white' };
    assert.deepEqual(botGameFields(snake), { game: 'snake', target_players: 3, bot_level: 'easy' });
  });
});
