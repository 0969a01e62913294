// What the chess page shows of a game (chess-game.js): the player strips, the status line, the
// buttons, the offer bars and the result box. Pure functions of the game and the time, so the
// tests read them as the player would.

import { speedName, timeControlText } from './chess-clock.js';
import { gamePageUrl } from './chess-game.js';
import { materialDiff, otherColor } from './chess-logic.js';
import { capitalize, describeResult } from './chess-result.js';

/** {top, bottom}: {color, username, connected, isYou, material} for each player strip. */
export function playerStrips(game, shown = game.shownPosition()) {
  const material = materialDiff(shown.pieces);
  const strip = (color) => ({
    color,
    username: game.state[color].username,
    connected: game.state[color].connected,
    isYou: color === game.myColor,
    material: material[color],
  });
  const bottom = game.orientation();
  return { top: strip(otherColor(bottom)), bottom: strip(bottom) };
}

/** Whose pieces the board lets you touch: {movableColor, legal, premoveColor, premove}. */
export function boardControls(game, shown = game.shownPosition()) {
  const mine = game.myColor;
  const live = game.viewPly === null;
  const playing = Boolean(mine) && game.started && game.state.loaded;
  const myTurn = playing && live && !game.pendingMove && shown.turn === mine;
  return {
    movableColor: myTurn ? mine : null,
    legal: myTurn ? game.state.legal : [],
    premoveColor: playing && live && !myTurn ? mine : null,
    premove: playing ? game.premove : null,
  };
}

/** Your move now, on the live board (for the tab title). */
export function isYourTurn(game) {
  return boardControls(game).movableColor !== null;
}

export function roleText(game) {
  return game.myColor ? `Playing ${game.myColor}` : 'Watching';
}

export function timeControlBadge(game) {
  const tc = game.state.tc;
  return [timeControlText(tc), speedName(tc)].filter(Boolean).join(' · ') || 'Match';
}

/** The room you write in, once known. */
export function chatRoom(game) {
  if (!game.state.loaded) return null;
  return game.you.role === 'player' ? 'player' : 'spectator';
}

/** {text, tone} for the status line. */
export function statusLine(game, shown = game.shownPosition()) {
  const state = game.state;
  const mine = game.myColor;
  if (!state.loaded) return { text: 'Loading the game…', tone: '' };
  if (game.viewPly !== null) {
    return { text: `Viewing move ${game.viewPly} of ${state.moves.length} · → or End to return`, tone: 'browse' };
  }
  if (!game.started) return { text: describeResult(state).headline, tone: 'over' };
  if (mine && shown.turn === mine && !game.pendingMove) {
    return shown.inCheck ? { text: 'Check! Your move', tone: 'check' } : { text: 'Your move', tone: 'turn' };
  }
  if (mine && game.premove) return { text: `Premove ${game.premove} · right-click cancels`, tone: 'premove' };
  if (mine) return { text: 'Waiting for your opponent', tone: '' };
  const turn = capitalize(shown.turn);
  return shown.inCheck ? { text: `${turn} is in check`, tone: 'check' } : { text: `${turn} to move`, tone: '' };
}

/**
 * The buttons under the moves: null (none) or {resign: 'abort'|'resign', draw: {label,
 * disabled}, takeback: {label, disabled}, moretime: {disabled}, claimDraw, claimVictory}.
 */
export function actions(game, now) {
  const state = game.state;
  const mine = game.myColor;
  if (!mine || !game.started || !state.loaded) return null;
  const opponent = otherColor(mine);
  const offers = state.offers;
  const ply = state.moves.length;
  const blackFirst = state.initialFen.split(' ')[1] === 'b';
  const whiteMoves = blackFirst ? Math.floor(ply / 2) : Math.ceil(ply / 2);
  const myMoves = mine === 'white' ? whiteMoves : ply - whiteMoves;
  return {
    resign: ply < 2 ? 'abort' : 'resign',
    draw:
      offers.draw === mine
        ? { label: 'Draw offered', disabled: true }
        : { label: offers.draw === opponent ? 'Accept draw' : 'Offer draw', disabled: false },
    takeback:
      offers.takeback === mine
        ? { label: 'Takeback proposed', disabled: true }
        : { label: offers.takeback === opponent ? 'Accept takeback' : 'Takeback', disabled: myMoves === 0 },
    moretime: { disabled: false },
    claimDraw: game.canClaimDraw(now),
    claimVictory: ply >= 2 && game.isClaimReady(now),
  };
}

/**
 * The bars above the buttons, during the game: [{id, kind, text, accept, decline}]. The id
 * stays while only the text changes (the claim countdown), so the bar is updated in place.
 */
// A draw or takeback offer as this viewer sees it: to answer when the opponent made it, for
// information otherwise (the viewer's own offer, or a spectator watching).
function offerBar(kind, offerer, mine, words) {
  if (mine && offerer !== mine) {
    return { id: kind, kind, text: words.incoming, accept: `${kind}_accept`, decline: `${kind}_decline` };
  }
  const text = mine ? words.sent : `${capitalize(offerer)} ${words.watched}`;
  return { id: kind, kind: 'info', text };
}

export function offerBars(game, now) {
  if (!game.started) return [];
  const state = game.state;
  const mine = game.myColor;
  const offers = state.offers;
  const bars = [];
  if (offers.draw) {
    bars.push(offerBar('draw', offers.draw, mine, {
      incoming: 'Your opponent offers a draw', sent: 'Draw offer sent', watched: 'offers a draw',
    }));
  }
  if (offers.takeback) {
    bars.push(offerBar('takeback', offers.takeback, mine, {
      incoming: 'Your opponent proposes a takeback', sent: 'Takeback proposed', watched: 'proposes a takeback',
    }));
  }
  if (mine && game.opponentGone) {
    const seconds = Math.max(0, Math.ceil((game.opponentGone.claimAt - now) / 1000));
    let text;
    if (state.moves.length < 2) text = 'Opponent left — you can abort the game';
    else if (seconds > 0) text = `Opponent left — you can claim victory in ${seconds} s`;
    else text = 'Opponent left — you can claim victory or a draw';
    bars.push({ id: 'gone', kind: 'gone', text });
  }
  return bars;
}

/**
 * The result box of an ended game, or null: {score, text, you, youTone, rematch: null |
 * {label, action, disabled, primary}, newOpponentUrl, pgnUrl, rematchUrl}.
 */
export function resultBox(game, now) {
  const state = game.state;
  if (!state.loaded || game.started) return null;
  const mine = game.myColor;
  const { score, text } = describeResult(state);
  let you = '';
  let youTone = '';
  if (mine && state.status !== 'aborted') {
    if (!state.winner) you = 'Draw';
    else if (state.winner === mine) [you, youTone] = ['You won!', 'win'];
    else [you, youTone] = ['You lost', 'loss'];
  }
  const tc = state.tc;
  return {
    score,
    text,
    you,
    youTone,
    rematch: mine ? rematchButton(game, now) : null,
    newOpponentUrl: mine && tc ? `/?play=chess&tc=${encodeURIComponent(tc)}` : null,
    pgnUrl: state.moves.length > 0 ? `/api/games/${encodeURIComponent(game.gameId)}/pgn` : null,
    rematchUrl: game.rematchGameId && !mine ? gamePageUrl(game.rematchGameId) : null,
  };
}

// The one place a rematch shows: only while the engine still holds the ended game.
function rematchButton(game, now) {
  if (game.rematchGameId) return { label: 'Rematch agreed…', disabled: true };
  if (now >= game.rematchUntil) return null;
  const offer = game.state.offers.rematch;
  if (offer === game.myColor) return { label: 'Rematch offered…', disabled: true };
  if (offer) return { label: 'Accept rematch', action: 'rematch_accept', primary: true };
  return { label: 'Rematch', action: 'rematch_offer', primary: true };
}

/** Per colour, the first-move countdown in words ({white: 'first move: 12 s'}). */
export function firstMoveTexts(game, now) {
  if (!game.started || game.firstMoveDeadline === null || game.state.moves.length >= 2) return {};
  const seconds = Math.max(0, Math.ceil((game.firstMoveDeadline - now) / 1000));
  return { [game.livePosition().turn]: `first move: ${seconds} s` };
}
