// Just enough chess for the board: FEN, playing a UCI move onto a position, check, premove
// geometry and material. The server decides what is legal; this never has to.

export const FILES = 'abcdefgh';
export const START_FEN = 'rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1';

const ROLE_OF_LETTER = { p: 'pawn', n: 'knight', b: 'bishop', r: 'rook', q: 'queen', k: 'king' };
const LETTER_OF_ROLE = { pawn: 'p', knight: 'n', bishop: 'b', rook: 'r', queen: 'q', king: 'k' };
export const PIECE_VALUES = { pawn: 1, knight: 3, bishop: 3, rook: 5, queen: 9, king: 0 };

const KNIGHT_STEPS = [[1, 2], [2, 1], [2, -1], [1, -2], [-1, -2], [-2, -1], [-2, 1], [-1, 2]];
const KING_STEPS = [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]];
const ROOK_RAYS = [[1, 0], [-1, 0], [0, 1], [0, -1]];
const BISHOP_RAYS = [[1, 1], [1, -1], [-1, 1], [-1, -1]];

// Squares are 0..63: a1 = 0, h1 = 7, a8 = 56.
export const fileOf = (square) => square & 7;
export const rankOf = (square) => square >> 3;
export const squareAt = (file, rank) =>
  file >= 0 && file < 8 && rank >= 0 && rank < 8 ? rank * 8 + file : -1;
export const squareName = (square) => FILES[fileOf(square)] + (rankOf(square) + 1);

export function parseSquare(name) {
  if (typeof name !== 'string' || name.length !== 2) return -1;
  return squareAt(FILES.indexOf(name[0]), Number(name[1]) - 1);
}

export const otherColor = (color) => (color === 'white' ? 'black' : 'white');

/** {from, to, promotion} from "e7e8q", or null. */
export function parseUci(uci) {
  if (typeof uci !== 'string' || uci.length < 4) return null;
  const from = parseSquare(uci.slice(0, 2));
  const to = parseSquare(uci.slice(2, 4));
  if (from < 0 || to < 0) return null;
  return { from, to, promotion: ROLE_OF_LETTER[uci[4]] || null };
}

/**
 * A position: pieces (64 slots of {color, role} or null), turn, castling ("KQkq" or "-"),
 * ep (square or -1), halfmove and fullmove counters.
 */
export function parseFen(fen) {
  const [placement = '', turn = 'w', castling = '-', ep = '-', halfmove = '0', fullmove = '1'] =
    String(fen || START_FEN).trim().split(/\s+/);
  const pieces = new Array(64).fill(null);
  const rows = placement.split('/');
  rows.forEach((row, index) => {
    const rank = 7 - index;
    let file = 0;
    for (const char of row) {
      if (/[1-8]/.test(char)) {
        file += Number(char);
      } else {
        const role = ROLE_OF_LETTER[char.toLowerCase()];
        const square = squareAt(file, rank);
        if (role && square >= 0) pieces[square] = { color: char === char.toLowerCase() ? 'black' : 'white', role };
        file += 1;
      }
    }
  });
  return {
    pieces,
    turn: turn === 'b' ? 'black' : 'white',
    castling,
    ep: parseSquare(ep),
    halfmove: Number(halfmove) || 0,
    fullmove: Number(fullmove) || 1,
  };
}

export function placementOf(pieces) {
  const rows = [];
  for (let rank = 7; rank >= 0; rank -= 1) {
    let row = '';
    let empty = 0;
    for (let file = 0; file < 8; file += 1) {
      const piece = pieces[squareAt(file, rank)];
      if (!piece) {
        empty += 1;
        continue;
      }
      if (empty) row += empty;
      empty = 0;
      const letter = LETTER_OF_ROLE[piece.role];
      row += piece.color === 'white' ? letter.toUpperCase() : letter;
    }
    rows.push(row + (empty ? empty : ''));
  }
  return rows.join('/');
}

function withoutRights(castling, lost) {
  const kept = [...castling].filter((right) => right !== '-' && !lost.includes(right)).join('');
  return kept || '-';
}

const CORNER_RIGHTS = { 0: 'Q', 7: 'K', 56: 'q', 63: 'k' };

/**
 * The position after `uci`, played without any legality check (castling is a king moving two
 * files, en passant a pawn moving diagonally onto an empty square). Null if no piece is there.
 */
export function playUci(position, uci) {
  const move = parseUci(uci);
  const piece = move && position.pieces[move.from];
  if (!piece) return null;
  const pieces = position.pieces.slice();
  const captured = pieces[move.to];
  pieces[move.from] = null;
  pieces[move.to] = move.promotion ? { color: piece.color, role: move.promotion } : piece;

  const fileStep = fileOf(move.to) - fileOf(move.from);
  if (piece.role === 'king' && Math.abs(fileStep) === 2) {
    const rank = rankOf(move.from);
    const rookFrom = squareAt(fileStep > 0 ? 7 : 0, rank);
    const rookTo = squareAt(fileOf(move.from) + Math.sign(fileStep), rank);
    pieces[rookTo] = pieces[rookFrom];
    pieces[rookFrom] = null;
  }
  let enPassantCapture = false;
  if (piece.role === 'pawn' && fileStep !== 0 && !captured) {
    pieces[squareAt(fileOf(move.to), rankOf(move.from))] = null;
    enPassantCapture = true;
  }

  const lost = [];
  if (piece.role === 'king') lost.push(...(piece.color === 'white' ? 'KQ' : 'kq'));
  for (const square of [move.from, move.to]) if (CORNER_RIGHTS[square]) lost.push(CORNER_RIGHTS[square]);

  const double = piece.role === 'pawn' && Math.abs(rankOf(move.to) - rankOf(move.from)) === 2;
  const reset = piece.role === 'pawn' || captured || enPassantCapture;
  return {
    pieces,
    turn: otherColor(position.turn),
    castling: withoutRights(position.castling, lost),
    ep: double ? (move.from + move.to) / 2 : -1,
    halfmove: reset ? 0 : position.halfmove + 1,
    fullmove: position.fullmove + (position.turn === 'black' ? 1 : 0),
  };
}

/** Whether `uci` takes a piece in `position` (en passant included). */
export function isCapture(position, uci) {
  const move = parseUci(uci);
  const piece = move && position.pieces[move.from];
  if (!piece) return false;
  if (position.pieces[move.to]) return true;
  return piece.role === 'pawn' && fileOf(move.to) !== fileOf(move.from);
}

function attackedAlongRays(pieces, square, rays, byColor, roles) {
  for (const [df, dr] of rays) {
    let file = fileOf(square) + df;
    let rank = rankOf(square) + dr;
    while (squareAt(file, rank) >= 0) {
      const piece = pieces[squareAt(file, rank)];
      if (piece) {
        if (piece.color === byColor && roles.includes(piece.role)) return true;
        break;
      }
      file += df;
      rank += dr;
    }
  }
  return false;
}

function attackedBySteps(pieces, square, steps, byColor, role) {
  return steps.some(([df, dr]) => {
    const piece = pieces[squareAt(fileOf(square) + df, rankOf(square) + dr)];
    return piece?.color === byColor && piece.role === role;
  });
}

export function isAttacked(pieces, square, byColor) {
  const pawnRank = byColor === 'white' ? -1 : 1; // where an attacking pawn stands, seen from `square`
  return (
    attackedBySteps(pieces, square, [[-1, pawnRank], [1, pawnRank]], byColor, 'pawn') ||
    attackedBySteps(pieces, square, KNIGHT_STEPS, byColor, 'knight') ||
    attackedBySteps(pieces, square, KING_STEPS, byColor, 'king') ||
    attackedAlongRays(pieces, square, ROOK_RAYS, byColor, ['rook', 'queen']) ||
    attackedAlongRays(pieces, square, BISHOP_RAYS, byColor, ['bishop', 'queen'])
  );
}

export function kingSquare(pieces, color) {
  return pieces.findIndex((piece) => piece?.color === color && piece.role === 'king');
}

export function isInCheck(pieces, color) {
  const king = kingSquare(pieces, color);
  return king >= 0 && isAttacked(pieces, king, otherColor(color));
}

/**
 * Where the piece on `square` could possibly go a move from now, whatever the opponent does
 * first: its geometry, ignoring what stands in the way (as premoves work on Lichess).
 */
export function premoveDestinations(pieces, square) {
  const piece = pieces[square];
  if (!piece) return [];
  const file = fileOf(square);
  const rank = rankOf(square);
  const out = new Set();
  const add = (f, r) => {
    const target = squareAt(f, r);
    if (target >= 0 && target !== square) out.add(target);
  };
  if (piece.role === 'pawn') {
    const forward = piece.color === 'white' ? 1 : -1;
    add(file, rank + forward);
    if (rank === (piece.color === 'white' ? 1 : 6)) add(file, rank + 2 * forward);
    add(file - 1, rank + forward);
    add(file + 1, rank + forward);
  } else if (piece.role === 'knight') {
    for (const [df, dr] of KNIGHT_STEPS) add(file + df, rank + dr);
  } else if (piece.role === 'king') {
    for (const [df, dr] of KING_STEPS) add(file + df, rank + dr);
    const home = piece.color === 'white' ? 0 : 7;
    if (file === 4 && rank === home) {
      add(6, home);
      add(2, home);
    }
  } else {
    const rays = [];
    if (piece.role !== 'bishop') rays.push(...ROOK_RAYS);
    if (piece.role !== 'rook') rays.push(...BISHOP_RAYS);
    for (const [df, dr] of rays) {
      for (let step = 1; step < 8; step += 1) add(file + df * step, rank + dr * step);
    }
  }
  return [...out];
}

export function isPromotionMove(pieces, from, to) {
  const piece = pieces[from];
  return piece?.role === 'pawn' && rankOf(to) === (piece.color === 'white' ? 7 : 0);
}

/** Per side, the captured pieces the material balance shows, and the points ahead. */
export function materialDiff(pieces) {
  const count = { white: {}, black: {} };
  for (const piece of pieces) {
    if (piece) count[piece.color][piece.role] = (count[piece.color][piece.role] || 0) + 1;
  }
  const diff = { white: { roles: [], points: 0 }, black: { roles: [], points: 0 } };
  let whitePoints = 0;
  for (const role of ['queen', 'rook', 'bishop', 'knight', 'pawn']) {
    const surplus = (count.white[role] || 0) - (count.black[role] || 0);
    const ahead = surplus > 0 ? 'white' : 'black';
    for (let i = 0; i < Math.abs(surplus); i += 1) diff[ahead].roles.push(role);
    whitePoints += surplus * PIECE_VALUES[role];
  }
  if (whitePoints > 0) diff.white.points = whitePoints;
  if (whitePoints < 0) diff.black.points = -whitePoints;
  return diff;
}

/**
 * What makes two positions "the same" for repetition: pieces, side to move, castling rights
 * and an en passant square only when a pawn stands ready to take it.
 */
export function repetitionKey(position) {
  let ep = '-';
  if (position.ep >= 0) {
    const capturerRank = position.turn === 'white' ? 4 : 3;
    const ready = [-1, 1].some((df) => {
      const piece = position.pieces[squareAt(fileOf(position.ep) + df, capturerRank)];
      return piece?.role === 'pawn' && piece.color === position.turn;
    });
    if (ready) ep = squareName(position.ep);
  }
  return `${placementOf(position.pieces)} ${position.turn} ${position.castling} ${ep}`;
}

/** The positions after each ply: [start, after ply 1, ...]; stops at the first unplayable move. */
export function replay(initialFen, moves) {
  const positions = [parseFen(initialFen || START_FEN)];
  for (const uci of moves) {
    const next = playUci(positions[positions.length - 1], uci);
    if (!next) break;
    positions.push(next);
  }
  return positions;
}
