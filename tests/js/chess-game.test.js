import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ChessGame, RETAIN_ENDED_MS } from '../../static/js/chess-game.js';
import { START_FEN } from '../../static/js/chess-logic.js';
import {
  actions,
  boardControls,
  chatRoom,
  firstMoveTexts,
  isYourTurn,
  offerBars,
  playerStrips,
  resultBox,
  roleText,
  statusLine,
  timeControlBadge,
} from '../../static/js/chess-view.js';

// Positions after 1. e4, 1. e4 d5 and 1. e4 d5 2. exd5 (white takes on d5).
const AFTER_E4 = 'rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1';
const AFTER_D5 = 'rnbqkbnr/ppp1pppp/8/3p4/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2';
const AFTER_EXD5 = 'rnbqkbnr/ppp1pppp/8/3P4/8/8/PPPP1PPP/RNBQKBNR b KQkq - 0 2';
const WALL = 1_800_000_000_000; // Date.now() of the tests

/** Everything the game asked the page to do, in order: [['notice', text], ['sound', 'move'], ...]. */
function recorder() {
  const calls = [];
  const record = (name) => (...args) => calls.push([name, ...args]);
  const out = {
    notice: record('notice'),
    chat: record('chat'),
    toast: record('toast'),
    error: record('error'),
    sound: record('sound'),
    navigate: record('navigate'),
  };
  return { out, calls, of: (name) => calls.filter(([kind]) => kind === name).map(([, ...args]) => args) };
}

function liveState(overrides = {}) {
  return {
    type: 'gameState',
    v: 0,
    game: 'chess',
    game_id: 'Kx7Qp2Lm9Rt4',
    mode: 'match',
    status: 'started',
    initial_fen: START_FEN,
    fen: START_FEN,
    moves: [],
    sans: [],
    white: { username: 'alice', connected: true },
    black: { username: 'bob', connected: true },
    turn: 'white',
    reason: null,
    clock: { white: 180000, black: 180000, running: null },
    tc: '3+0',
    ply: 0,
    first_move_ms_left: 25000,
    draw_offer: null,
    takeback_offer: null,
    rematch_offer: null,
    legal_moves: ['e2e4', 'd2d4', 'g1f3'],
    check: false,
    you: { username: 'alice', role: 'player' },
    ...overrides,
  };
}

// The state of a game the engine dropped, as the database tells it (no offers, no initial_fen).
function databaseState(overrides = {}) {
  return {
    type: 'gameState',
    v: 6,
    game: 'chess',
    game_id: 'Kx7Qp2Lm9Rt4',
    mode: 'match',
    status: 'black_wins',
    players: [
      { username: 'alice', score: null },
      { username: 'bob', score: null },
    ],
    result: { reason: 'resignation', winner: 'black', scores: {} },
    settings: { tc: '3+2' },
    fen: AFTER_D5,
    moves: ['e2e4', 'd7d5'],
    sans: ['e4', 'd5'],
    white: { username: 'alice' },
    black: { username: 'bob' },
    turn: 'white',
    reason: 'resignation',
    clock: { white: 175400, black: 176520, running: 'white' },
    tc: '3+2',
    legal_moves: [],
    you: { username: 'alice', role: 'player' },
    ...overrides,
  };
}

/** A game seen by `username` (alice plays white, bob black, carol watches), with its first state. */
function gameFor(username, state = liveState(), now = 0) {
  const record = recorder();
  const game = new ChessGame({ gameId: 'Kx7Qp2Lm9Rt4', username, tc: '3+0', out: record.out });
  const role = username === 'carol' ? 'spectator' : 'player';
  game.receive({ ...state, you: { username, role } }, now, WALL);
  return { game, ...record };
}

let nextV = 1;
function event(type, fields) {
  return { type, v: nextV++, ts: WALL, ...fields };
}

const e4 = () =>
  event('move', {
    uci: 'e2e4',
    san: 'e4',
    fen: AFTER_E4,
    ply: 1,
    player: 'white',
    clock: { white: 180000, black: 180000, running: null },
    legal_moves: ['d7d5', 'e7e5'],
    check: false,
  });
const d5 = () =>
  event('move', {
    uci: 'd7d5',
    san: 'd5',
    fen: AFTER_D5,
    ply: 2,
    player: 'black',
    clock: { white: 180000, black: 180000, running: 'white' },
    legal_moves: ['e4d5', 'e4e5'],
    check: false,
  });
const exd5 = () =>
  event('move', {
    uci: 'e4d5',
    san: 'exd5',
    fen: AFTER_EXD5,
    ply: 3,
    player: 'white',
    clock: { white: 178000, black: 180000, running: 'black' },
    legal_moves: ['d8d5', 'g8f6'],
    check: false,
  });

/** alice (white) vs bob after 1. e4 d5, as `username` sees it. */
function afterTwoPlies(username) {
  const seen = gameFor(username);
  seen.game.receive(e4(), 0, WALL);
  seen.game.receive(d5(), 0, WALL);
  seen.calls.length = 0;
  return seen;
}

describe('gameState', () => {
  test('a live game, for the player to move', () => {
    const { game } = gameFor('alice');
    assert.deepEqual(statusLine(game), { text: 'Your move', tone: 'turn' });
    assert.equal(roleText(game), 'Playing white');
    assert.equal(timeControlBadge(game), '3+0 · Blitz');
    assert.equal(chatRoom(game), 'player');
    assert.equal(isYourTurn(game), true);
    assert.equal(resultBox(game, 0), null);
    assert.deepEqual(offerBars(game, 0), []);
    assert.deepEqual(firstMoveTexts(game, 5000), { white: 'first move: 20 s' });
    const buttons = actions(game, 0);
    assert.equal(buttons.resign, 'abort');
    assert.deepEqual(buttons.takeback, { label: 'Takeback', disabled: true });
    assert.deepEqual(boardControls(game).legal, ['e2e4', 'd2d4', 'g1f3']);
    const strips = playerStrips(game);
    assert.deepEqual([strips.bottom.username, strips.bottom.isYou, strips.top.username], ['alice', true, 'bob']);
  });

  test('a live game, for the player waiting: black at the bottom, premoves only', () => {
    const { game } = gameFor('bob');
    assert.equal(game.orientation(), 'black');
    assert.deepEqual(statusLine(game), { text: 'Waiting for your opponent', tone: '' });
    assert.equal(isYourTurn(game), false);
    const controls = boardControls(game);
    assert.equal(controls.movableColor, null);
    assert.equal(controls.premoveColor, 'black');
  });

  test('a live game, for a spectator', () => {
    const { game } = gameFor('carol');
    assert.deepEqual(statusLine(game), { text: 'White to move', tone: '' });
    assert.equal(roleText(game), 'Watching');
    assert.equal(chatRoom(game), 'spectator');
    assert.equal(actions(game, 0), null);
    assert.equal(isYourTurn(game), false);
    assert.equal(boardControls(game).premoveColor, null);
  });

  test('a finished game from the database: its result and clocks, and no rematch', () => {
    const { game } = gameFor('alice', databaseState(), 1000);
    assert.deepEqual(statusLine(game), { text: 'Black wins', tone: 'over' });
    const result = resultBox(game, 1000);
    assert.equal(result.score, '0-1');
    assert.equal(result.text, 'Black wins by resignation');
    assert.deepEqual([result.you, result.youTone], ['You lost', 'loss']);
    assert.equal(result.rematch, null, 'the engine no longer holds the game');
    assert.equal(result.pgnUrl, '/api/games/Kx7Qp2Lm9Rt4/pgn');
    assert.equal(result.newOpponentUrl, '/?play=chess&tc=3%2B2');
    assert.equal(actions(game, 1000), null);
    assert.deepEqual(game.shownPosition().lastMove, 'd7d5');
    const clocks = game.clocks.display(60_000);
    assert.equal(clocks.white.text, '02:55', 'as given, not run on');
    assert.equal(clocks.black.text, '02:56');
    assert.equal(clocks.white.running, false);
  });

  test('a finished state alone (without its gameEnd seen here) offers no rematch', () => {
    const finished = liveState({
      status: 'white_wins',
      reason: 'resignation',
      result: { reason: 'resignation', winner: 'white', scores: {} },
      moves: ['e2e4'],
      sans: ['e4'],
      fen: AFTER_E4,
      legal_moves: [],
    });
    const { game } = gameFor('alice', finished);
    assert.equal(resultBox(game, 0).rematch, null);
    assert.equal(resultBox(game, 0).you, 'You won!');
  });

  test('an aborted game with no moves: no score, no verdict, no PGN to download', () => {
    const aborted = databaseState({
      status: 'aborted',
      reason: 'aborted',
      result: { reason: 'aborted', winner: null, scores: {} },
      fen: START_FEN,
      moves: [],
      sans: [],
    });
    const { game } = gameFor('alice', aborted);
    assert.deepEqual(statusLine(game), { text: 'Aborted', tone: 'over' });
    const result = resultBox(game, 0);
    assert.deepEqual([result.score, result.text, result.you], ['–', 'Game aborted', '']);
    assert.equal(result.pgnUrl, null);
  });

  test('an opponent away in the state starts the claim countdown', () => {
    const away = liveState({ black: { username: 'bob', connected: false }, moves: ['e2e4', 'd7d5'], fen: AFTER_D5 });
    const { game } = gameFor('alice', away, 0);
    assert.deepEqual(offerBars(game, 0), [
      { id: 'gone', kind: 'gone', text: 'Opponent left — you can claim victory in 30 s' },
    ]);
  });
});

describe('moves', () => {
  test("the opponent's move: on the board, with its sound and a slide", () => {
    const { game, of } = gameFor('bob');
    const drawn = game.receive(e4(), 0, WALL);
    assert.equal(drawn.animate, true);
    assert.deepEqual(of('sound'), [['move']]);
    assert.deepEqual(statusLine(game), { text: 'Your move', tone: 'turn' });
    assert.equal(game.shownPosition().lastMove, 'e2e4');
    assert.deepEqual(firstMoveTexts(game, 0), { black: 'first move: 25 s' });
  });

  test('a capture sounds as a capture', () => {
    const { game, of } = afterTwoPlies('bob');
    game.receive(exd5(), 0, WALL);
    assert.deepEqual(of('sound'), [['capture']]);
  });

  test('your own move sounds when you make it, not again when the server confirms it', () => {
    const { game, of } = gameFor('alice');
    assert.equal(game.canMoveNow(), true);
    game.moveSent('e2e4');
    assert.equal(game.shownPosition().lastMove, 'e2e4', 'shown at once');
    assert.equal(game.canMoveNow(), false);
    const drawn = game.receive(e4(), 0, WALL);
    assert.equal(drawn.animate, false, 'already on the board');
    assert.deepEqual(of('sound'), [['move']]);
  });

  test('replayed moves after a reconnect are silent, and their clock is aged', () => {
    const { game, of } = afterTwoPlies('bob');
    game.receive({ ...exd5(), ts: WALL - 5000 }, 10_000, WALL);
    assert.deepEqual(of('sound'), []);
    assert.equal(game.clocks.display(10_000).black.text, '02:55', '5 s of the running clock already spent');
  });

  test('a refused move goes back to the last position the server confirmed', () => {
    const { game, of } = gameFor('alice');
    game.moveSent('e2e4');
    game.receive({ type: 'error', code: 'not_your_turn', message: 'it is not your turn' }, 0, WALL);
    assert.equal(game.shownPosition().lastMove, null);
    assert.equal(game.canMoveNow(), true);
    assert.equal(of('error').length, 1);
  });

  test('a premove is played when it becomes legal, and dropped when it does not', () => {
    const legal = gameFor('bob');
    legal.game.setPremove('d7d5');
    assert.deepEqual(statusLine(legal.game), { text: 'Premove d7d5 · right-click cancels', tone: 'premove' });
    assert.equal(legal.game.receive(e4(), 0, WALL).premove, 'd7d5');

    const illegal = gameFor('bob');
    illegal.game.setPremove('d7d6');
    assert.equal(illegal.game.receive(e4(), 0, WALL).premove, null);
    assert.equal(illegal.game.premove, null);
  });

  test('browsing shows an older ply and says so; a move by the opponent brings you back', () => {
    const { game } = afterTwoPlies('alice');
    assert.deepEqual(game.browse('prev'), { animate: false });
    assert.deepEqual(statusLine(game), { text: 'Viewing move 1 of 2 · → or End to return', tone: 'browse' });
    assert.equal(game.shownPosition().lastMove, 'e2e4');
    assert.equal(boardControls(game).movableColor, null, 'no moving while browsing');
    assert.deepEqual(game.browse('next'), { animate: true });
    assert.equal(game.browse('next'), null, 'already live');
  });
});

describe('offers', () => {
  test("the opponent's draw offer: a bar to answer, the button accepts, a notice and a toast", () => {
    const { game, of } = afterTwoPlies('alice');
    game.receive(event('drawOffer', { by: 'black' }), 0, WALL);
    assert.deepEqual(offerBars(game, 0), [
      { id: 'draw', kind: 'draw', text: 'Your opponent offers a draw', accept: 'draw_accept', decline: 'draw_decline' },
    ]);
    assert.deepEqual(actions(game, 0).draw, { label: 'Accept draw', disabled: false });
    assert.equal(game.intentFor('draw', 0), 'draw_accept');
    assert.deepEqual(of('notice'), [['Black offers a draw']]);
    assert.deepEqual(of('toast'), [['Your opponent offers a draw', 'info']]);
  });

  test('your own draw offer: said once, the button waits, declined by the opponent', () => {
    const { game, of } = afterTwoPlies('alice');
    assert.equal(game.intentFor('draw', 0), 'draw_offer');
    assert.equal(game.intentFor('draw', 500), null, 'a double click sends once');
    game.receive(event('drawOffer', { by: 'white' }), 0, WALL);
    assert.deepEqual(offerBars(game, 0), [{ id: 'draw', kind: 'info', text: 'Draw offer sent' }]);
    assert.deepEqual(actions(game, 0).draw, { label: 'Draw offered', disabled: true });
    assert.deepEqual(of('toast'), []);
    game.receive(event('drawDeclined', { by: 'black' }), 0, WALL);
    assert.deepEqual(offerBars(game, 0), []);
    assert.deepEqual(of('notice').at(-1), ['Black declined the draw']);
    assert.deepEqual(of('toast'), [['Draw offer declined', 'info']]);
  });

  test('spectators see offers as information only', () => {
    const { game } = afterTwoPlies('carol');
    game.receive(event('drawOffer', { by: 'black' }), 0, WALL);
    game.receive(event('takebackOffer', { by: 'white' }), 0, WALL);
    assert.deepEqual(offerBars(game, 0), [
      { id: 'draw', kind: 'info', text: 'Black offers a draw' },
      { id: 'takeback', kind: 'info', text: 'White proposes a takeback' },
    ]);
  });

  test("the opponent's takeback proposal, then the takeback", () => {
    const { game, of } = afterTwoPlies('alice');
    game.receive(event('takebackOffer', { by: 'black' }), 0, WALL);
    assert.deepEqual(offerBars(game, 0)[0].accept, 'takeback_accept');
    assert.deepEqual(actions(game, 0).takeback, { label: 'Accept takeback', disabled: false });
    const drawn = game.receive(
      event('takeback', {
        fen: AFTER_E4,
        moves: ['e2e4'],
        ply: 1,
        clock: { white: 180000, black: 180000, running: null },
        legal_moves: ['d7d5'],
      }),
      0,
      WALL,
    );
    assert.equal(drawn.reset, true);
    assert.deepEqual(game.state.moves, ['e2e4']);
    assert.deepEqual(game.state.sans, ['e4']);
    assert.deepEqual(offerBars(game, 0), []);
    assert.equal(actions(game, 0).resign, 'abort', 'fewer than two plies again');
    assert.deepEqual(of('notice').at(-1), ['Takeback accepted']);
  });

  test("a takeback proposal declined by the opponent's move", () => {
    const { game, of } = gameFor('bob');
    game.receive(e4(), 0, WALL);
    game.receive(d5(), 0, WALL);
    game.receive(event('takebackOffer', { by: 'black' }), 0, WALL);
    game.receive(exd5(), 0, WALL);
    game.receive(event('takebackDeclined', { by: 'white' }), 0, WALL);
    assert.deepEqual(offerBars(game, 0), []);
    assert.deepEqual(of('notice').at(-1), ['White declined the takeback']);
  });
});

describe('presence and the claim countdown', () => {
  test('the opponent leaves: a countdown, then victory or a draw to claim; back again: gone', () => {
    const { game, of } = afterTwoPlies('alice');
    game.receive(event('presence', { player: 'black', connected: false, claim_after_ms: 30000 }), 0, WALL);
    assert.deepEqual(of('notice'), [['bob left the game']]);
    assert.deepEqual(offerBars(game, 0), [
      { id: 'gone', kind: 'gone', text: 'Opponent left — you can claim victory in 30 s' },
    ]);
    assert.equal(offerBars(game, 12_000)[0].text, 'Opponent left — you can claim victory in 18 s');
    assert.equal(actions(game, 29_999).claimVictory, false);
    assert.equal(offerBars(game, 30_000)[0].text, 'Opponent left — you can claim victory or a draw');
    assert.equal(actions(game, 30_000).claimVictory, true);
    assert.equal(actions(game, 30_000).claimDraw, true);

    game.receive(event('presence', { player: 'black', connected: true, claim_after_ms: 0 }), 31_000, WALL);
    assert.deepEqual(offerBars(game, 31_000), []);
    assert.equal(actions(game, 31_000).claimVictory, false);
    assert.deepEqual(of('notice').at(-1), ['bob is back']);
  });

  test('before the second ply the game can only be aborted', () => {
    const { game } = gameFor('alice');
    game.receive(event('presence', { player: 'black', connected: false, claim_after_ms: 30000 }), 0, WALL);
    assert.equal(offerBars(game, 40_000)[0].text, 'Opponent left — you can abort the game');
    assert.equal(actions(game, 40_000).claimVictory, false);
  });

  test('spectators get no claim bar', () => {
    const { game } = afterTwoPlies('carol');
    game.receive(event('presence', { player: 'black', connected: false, claim_after_ms: 30000 }), 0, WALL);
    assert.deepEqual(offerBars(game, 0), []);
  });
});

describe('gameEnd and rematch', () => {
  function ended(username) {
    const seen = afterTwoPlies(username);
    seen.game.receive(event('drawOffer', { by: 'black' }), 0, WALL);
    const end = event('gameEnd', { status: 'white_wins', reason: 'timeout', winner: 'white', scores: {} });
    seen.game.receive(end, 1000, WALL);
    return seen;
  }

  function endedQuietly(username) {
    const seen = ended(username);
    seen.calls.length = 0;
    return seen;
  }

  test('the end: the result, the verdict, no more buttons or offers, clocks stopped', () => {
    const { game, of } = ended('alice');
    assert.deepEqual(statusLine(game), { text: 'White wins', tone: 'over' });
    const result = resultBox(game, 1000);
    assert.deepEqual(
      [result.score, result.text, result.you, result.youTone],
      ['1-0', 'White wins on time', 'You won!', 'win'],
    );
    assert.equal(actions(game, 1000), null);
    assert.deepEqual(offerBars(game, 1000), []);
    assert.equal(isYourTurn(game), false);
    assert.equal(game.clocks.running(), null);
    assert.deepEqual(game.clocks.display(1000), game.clocks.display(50_000));
    assert.deepEqual(of('notice').at(-1), ['White wins on time']);
  });

  test('seen live, the end offers a rematch while the engine holds the game, and no longer', () => {
    const { game } = ended('alice');
    assert.deepEqual(resultBox(game, 1000).rematch, { label: 'Rematch', action: 'rematch_offer', primary: true });
    assert.notEqual(resultBox(game, RETAIN_ENDED_MS).rematch, null);
    assert.equal(resultBox(game, 1000 + RETAIN_ENDED_MS).rematch, null);
  });

  test('a reconnect to the database state keeps the rematch the end offered', () => {
    const { game } = ended('alice');
    game.receive(databaseState({ status: 'white_wins', result: { reason: 'timeout', winner: 'white' } }), 2000, WALL);
    assert.equal(resultBox(game, 2000).rematch.action, 'rematch_offer');
  });

  test('the engine saying game_over withdraws the rematch', () => {
    const { game } = ended('alice');
    game.receive({ type: 'error', code: 'game_over', message: 'this game is not running' }, 2000, WALL);
    assert.equal(resultBox(game, 2000).rematch, null);
  });

  test("the opponent's rematch offer shows once: the button accepts it, no bar besides", () => {
    const { game, of } = endedQuietly('alice');
    game.receive(event('rematchOffer', { by: 'black' }), 2000, WALL);
    const accept = { label: 'Accept rematch', action: 'rematch_accept', primary: true };
    assert.deepEqual(resultBox(game, 2000).rematch, accept);
    assert.deepEqual(offerBars(game, 2000), []);
    assert.deepEqual(of('toast'), [['Your opponent wants a rematch', 'info']]);
    assert.deepEqual(of('notice'), [['Black wants a rematch']]);
  });

  test('your own rematch offer waits', () => {
    const { game, of } = endedQuietly('alice');
    game.receive(event('rematchOffer', { by: 'white' }), 2000, WALL);
    assert.deepEqual(resultBox(game, 2000).rematch, { label: 'Rematch offered…', disabled: true });
    assert.equal(of('toast').length, 0);
  });

  test('an agreed rematch takes the players to the new game, and shows spectators the way', () => {
    const agreed = { white: 'bob', black: 'alice', tc: '3+0', game_id: 'q3cU0TKYSDlf' };
    const player = ended('alice');
    player.game.receive(event('rematch', agreed), 2000, WALL);
    assert.deepEqual(player.of('navigate'), [['/game/q3cU0TKYSDlf/']]);

    const spectator = ended('carol');
    spectator.game.receive(event('rematch', agreed), 2000, WALL);
    assert.deepEqual(spectator.of('navigate'), []);
    const result = resultBox(spectator.game, 2000);
    assert.equal(result.rematchUrl, '/game/q3cU0TKYSDlf/');
    assert.equal(result.rematch, null);
    assert.equal(result.you, '');
  });
});

describe('chat', () => {
  test("players' chat (versioned) and spectators' chat (not versioned) go to their rooms", () => {
    const { game, of } = gameFor('alice');
    game.receive(event('chat', { username: 'alice', message: 'gl hf', room: 'player' }), 0, WALL);
    game.receive({ type: 'chat', username: 'carol', message: 'nice', room: 'spectator' }, 0, WALL);
    assert.deepEqual(of('chat'), [
      [{ room: 'player', username: 'alice', message: 'gl hf', isYou: true, color: 'white' }],
      [{ room: 'spectator', username: 'carol', message: 'nice', isYou: false, color: null }],
    ]);
  });
});

describe('low-time warning', () => {
  test('sounds once when your running clock falls under the mark, again after more time', () => {
    const { game, of } = afterTwoPlies('alice');
    // 3+0: the mark is 18 s (a tenth of the starting time). White's clock runs.
    game.receive({ ...exd5(), player: 'white', clock: { white: 20000, black: 180000, running: 'black' } }, 0, WALL);
    game.receive(
      event('move', {
        uci: 'd8d5',
        san: 'Qxd5',
        fen: AFTER_D5,
        ply: 4,
        player: 'black',
        clock: { white: 20000, black: 179000, running: 'white' },
      }),
      0,
      WALL,
    );
    game.checkLowTime(1000);
    assert.deepEqual(of('sound').filter(([name]) => name === 'lowTime'), []);
    game.checkLowTime(2500);
    game.checkLowTime(3000);
    assert.deepEqual(of('sound').filter(([name]) => name === 'lowTime'), [['lowTime']]);

    const clock = { white: 32000, black: 179000, running: 'white' };
    const moretime = event('moretime', { to: 'white', ms: 15000, clock });
    game.receive(moretime, 3000, WALL);
    game.checkLowTime(3100);
    game.checkLowTime(18_000);
    assert.equal(of('sound').filter(([name]) => name === 'lowTime').length, 2);
  });

  test("the opponent's low clock and a spectator's view stay silent", () => {
    const { game, of } = afterTwoPlies('bob');
    game.receive({ ...exd5(), clock: { white: 5000, black: 180000, running: 'white' } }, 0, WALL);
    game.checkLowTime(1000);
    const spectator = afterTwoPlies('carol');
    spectator.game.receive({ ...exd5(), clock: { white: 5000, black: 5000, running: 'black' } }, 0, WALL);
    spectator.game.checkLowTime(1000);
    assert.deepEqual([...of('sound'), ...spectator.of('sound')].filter(([name]) => name === 'lowTime'), []);
  });
});
