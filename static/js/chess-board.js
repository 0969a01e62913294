// The chess board: 64 squares drawn with the DOM, pieces moved by click or by drag (mouse and
// touch alike, through pointer events), legal destination dots, premoves and a promotion chooser.
//
// The board never changes its own position: it reports moves and premoves and waits for the
// game to hand it the next position (optimistic or from the server).

import { installPieceStyles } from './chess-pieces.js';
import {
  FILES,
  fileOf,
  isPromotionMove,
  parseUci,
  premoveDestinations,
  rankOf,
  squareAt,
  squareName,
} from './chess-logic.js';

const DRAG_THRESHOLD_PX = 4;
const ANIMATION_MS = 180;
const PROMOTION_ROLES = ['queen', 'knight', 'rook', 'bishop'];
const PROMOTION_LETTER = { queen: 'q', rook: 'r', bishop: 'b', knight: 'n' };

function element(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function pieceClass(piece) {
  return `chess-piece ${piece.color} ${piece.role}`;
}

/**
 * callbacks:
 *   onMove(uci, dragged)     a move for the side to move (from `legal`), promotion chosen;
 *                            dragged: the piece was dropped there (no slide needed)
 *   onPremove(uci, dragged)  a premove was set
 *   onPremoveCancel()  the player cancelled the premove
 */
export class ChessBoard {
  constructor(root, { onMove, onPremove, onPremoveCancel }) {
    installPieceStyles();
    this.root = root;
    this.onMove = onMove;
    this.onPremove = onPremove;
    this.onPremoveCancel = onPremoveCancel;
    this.orientation = 'white';
    this.pieces = new Array(64).fill(null);
    this.lastMove = null;
    this.checkSquare = -1;
    // Who may move now (with the legal UCI moves), and who may premove instead.
    this.movableColor = null;
    this.legalDests = new Map();
    this.legalMoves = [];
    this.premoveColor = null;
    this.premove = null;
    this.selected = -1;
    this.drag = null;
    this.hover = -1;
    this.promotion = null;
    this.squares = new Array(64);

    this.root.classList.add('cb');
    this.root.setAttribute('role', 'img');
    this.ghost = element('div', 'cb-ghost');
    this.ghost.hidden = true;
    this.build();
    this.listen();
  }

  // -- what the game tells the board ------------------------------------------------------

  setOrientation(color) {
    if (color === this.orientation) return;
    this.orientation = color;
    this.build();
  }

  /** pieces: 64 slots; lastMove: uci or null; check: the king's square or -1; animate: bool */
  setPosition({ pieces, lastMove = null, check = -1, animate = false }) {
    const previous = this.pieces;
    this.pieces = pieces;
    this.lastMove = parseUci(lastMove);
    this.checkSquare = check;
    if (this.selected >= 0 && pieces[this.selected]?.color !== previous[this.selected]?.color) {
      this.selected = -1;
    }
    this.render();
    if (animate && this.lastMove) this.animateMove(this.lastMove, previous);
  }

  /**
   * movableColor: the colour that may move now (legal: its UCI moves), or null;
   * premoveColor: the colour that may set a premove instead, or null.
   */
  setMovable({ movableColor = null, legal = [], premoveColor = null }) {
    this.movableColor = movableColor;
    this.legalMoves = legal;
    this.legalDests = new Map();
    for (const uci of legal) {
      const move = parseUci(uci);
      if (!move) continue;
      if (!this.legalDests.has(move.from)) this.legalDests.set(move.from, new Set());
      this.legalDests.get(move.from).add(move.to);
    }
    this.premoveColor = premoveColor;
    const interactive = Boolean(movableColor || premoveColor);
    this.root.classList.toggle('is-interactive', interactive);
    if (!interactive) this.cancelInteraction();
    else if (this.selected >= 0 && !this.canPick(this.selected)) this.selected = -1;
    this.render();
  }

  /** The premove to show (uci), or null. */
  setPremove(uci) {
    this.premove = parseUci(uci);
    this.render();
  }

  cancelInteraction() {
    this.selected = -1;
    this.endDrag();
    if (this.promotion) this.promotion.finish(null);
  }

  // -- drawing ------------------------------------------------------------------------------

  /** The square shown at display row/column (0,0 = top left). */
  squareAtDisplay(row, column) {
    return this.orientation === 'white' ? squareAt(column, 7 - row) : squareAt(7 - column, row);
  }

  displayOf(square) {
    const file = fileOf(square);
    const rank = rankOf(square);
    return this.orientation === 'white' ? { row: 7 - rank, column: file } : { row: rank, column: 7 - file };
  }

  build() {
    const cells = [];
    for (let row = 0; row < 8; row += 1) {
      for (let column = 0; column < 8; column += 1) {
        const square = this.squareAtDisplay(row, column);
        const cell = element('div', (fileOf(square) + rankOf(square)) % 2 === 0 ? 'cb-square dark' : 'cb-square light');
        cell.dataset.square = squareName(square);
        if (column === 0) {
          const rank = element('span', 'cb-coord cb-rank');
          rank.textContent = String(rankOf(square) + 1);
          cell.append(rank);
        }
        if (row === 7) {
          const file = element('span', 'cb-coord cb-file');
          file.textContent = FILES[fileOf(square)];
          cell.append(file);
        }
        cell.piece = null;
        cell.pieceKey = '';
        this.squares[square] = cell;
        cells.push(cell);
      }
    }
    this.root.replaceChildren(...cells, this.ghost);
    this.root.dataset.orientation = this.orientation;
    this.root.setAttribute('aria-label', `Chess board, ${this.orientation} at the bottom`);
    this.render();
  }

  render() {
    const dests = this.selected >= 0 ? this.destinationsOf(this.selected) : new Set();
    const premoving = this.selected >= 0 && this.pieces[this.selected]?.color === this.premoveColor;
    for (let square = 0; square < 64; square += 1) {
      const cell = this.squares[square];
      const piece = this.pieces[square];
      const key = piece ? pieceClass(piece) : '';
      if (key !== cell.pieceKey) {
        cell.pieceKey = key;
        if (cell.piece) cell.piece.remove();
        cell.piece = null;
        if (piece) {
          cell.piece = element('div', key);
          cell.append(cell.piece);
        }
      }
      const classes = cell.classList;
      classes.toggle('is-last', Boolean(this.lastMove) && (square === this.lastMove.from || square === this.lastMove.to));
      classes.toggle('is-check', square === this.checkSquare);
      classes.toggle('is-selected', square === this.selected);
      classes.toggle('is-premove', Boolean(this.premove) && (square === this.premove.from || square === this.premove.to));
      classes.toggle('is-dest', dests.has(square));
      classes.toggle('is-premove-dest', premoving && dests.has(square));
      classes.toggle('is-occupied', Boolean(piece));
      classes.toggle('is-hover', square === this.hover);
      classes.toggle('is-drag-origin', Boolean(this.drag?.started) && square === this.drag.from);
    }
  }

  /** Slides the moved piece (and a castling rook) from where it came from. */
  animateMove(move, previous) {
    const slides = [[move.from, move.to]];
    const mover = previous[move.from];
    const fileStep = fileOf(move.to) - fileOf(move.from);
    if (mover?.role === 'king' && Math.abs(fileStep) === 2) {
      const rank = rankOf(move.from);
      slides.push([squareAt(fileStep > 0 ? 7 : 0, rank), squareAt(fileOf(move.from) + Math.sign(fileStep), rank)]);
    }
    for (const [from, to] of slides) {
      const piece = this.squares[to].piece;
      if (!piece) continue;
      const start = this.displayOf(from);
      const end = this.displayOf(to);
      piece.classList.add('is-animating');
      piece.style.transition = 'none';
      piece.style.transform = `translate(${(start.column - end.column) * 100}%, ${(start.row - end.row) * 100}%)`;
      void piece.offsetWidth; // Commit the start position before sliding from it.
      piece.style.transition = `transform ${ANIMATION_MS}ms ease-out`;
      piece.style.transform = '';
      setTimeout(() => {
        piece.classList.remove('is-animating');
        piece.style.transition = '';
      }, ANIMATION_MS + 20);
    }
  }

  // -- moving pieces ------------------------------------------------------------------------

  canPick(square) {
    const color = this.pieces[square]?.color;
    return Boolean(color) && (color === this.movableColor || color === this.premoveColor);
  }

  destinationsOf(square) {
    const color = this.pieces[square]?.color;
    if (!color) return new Set();
    if (color === this.movableColor) return this.legalDests.get(square) || new Set();
    if (color === this.premoveColor) return new Set(premoveDestinations(this.pieces, square));
    return new Set();
  }

  squareFromPoint(x, y) {
    const rect = this.root.getBoundingClientRect();
    const column = Math.floor(((x - rect.left) / rect.width) * 8);
    const row = Math.floor(((y - rect.top) / rect.height) * 8);
    if (row < 0 || row > 7 || column < 0 || column > 7) return -1;
    return this.squareAtDisplay(row, column);
  }

  listen() {
    this.root.addEventListener('pointerdown', (event) => this.pointerDown(event));
    this.root.addEventListener('pointermove', (event) => this.pointerMove(event));
    this.root.addEventListener('pointerup', (event) => this.pointerUp(event));
    this.root.addEventListener('pointercancel', () => {
      this.endDrag();
      this.render();
    });
    this.root.addEventListener('contextmenu', (event) => {
      if (this.root.classList.contains('is-interactive')) event.preventDefault();
    });
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      if (this.premove) this.cancelPremove();
      this.selected = -1;
      this.render();
    });
  }

  pointerDown(event) {
    if (this.promotion || !this.root.classList.contains('is-interactive')) return;
    if (event.button === 2) {
      // Right click: drop the premove and any selection.
      if (this.premove) this.cancelPremove();
      this.selected = -1;
      this.render();
      return;
    }
    if (event.button !== 0) return;
    const square = this.squareFromPoint(event.clientX, event.clientY);
    if (square < 0) return;
    // A click on a destination moves there; a click on another piece of the same side picks it
    // (dragging onto it still premoves a recapture there).
    const sameSide = this.pieces[square]?.color === this.pieces[this.selected]?.color;
    if (this.selected >= 0 && !sameSide && this.destinationsOf(this.selected).has(square)) {
      event.preventDefault();
      this.tryMove(this.selected, square, false);
      return;
    }
    if (!this.canPick(square)) {
      this.selected = -1;
      this.render();
      return;
    }
    event.preventDefault();
    if (this.premove && this.premove.from === square) {
      // Clicking the premoved piece again cancels the premove.
      this.cancelPremove();
      this.selected = -1;
      this.render();
      return;
    }
    const wasSelected = this.selected === square;
    this.selected = square;
    this.drag = {
      from: square,
      pointerId: event.pointerId,
      x: event.clientX,
      y: event.clientY,
      started: false,
      wasSelected,
      touch: event.pointerType !== 'mouse',
    };
    this.root.setPointerCapture(event.pointerId);
    this.render();
  }

  pointerMove(event) {
    const drag = this.drag;
    if (!drag || event.pointerId !== drag.pointerId) return;
    if (!drag.started) {
      if (Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < DRAG_THRESHOLD_PX) return;
      drag.started = true;
      this.ghost.className = `cb-ghost ${pieceClass(this.pieces[drag.from])}${drag.touch ? ' is-touch' : ''}`;
      this.ghost.hidden = false;
    }
    const rect = this.root.getBoundingClientRect();
    const size = rect.width / 8;
    this.ghost.style.transform =
      `translate(${event.clientX - rect.left - size / 2}px, ${event.clientY - rect.top - size / 2}px)`;
    const square = this.squareFromPoint(event.clientX, event.clientY);
    const hover = square >= 0 && this.destinationsOf(drag.from).has(square) ? square : -1;
    if (hover !== this.hover || !this.squares[drag.from].classList.contains('is-drag-origin')) {
      this.hover = hover;
      this.render();
    }
  }

  pointerUp(event) {
    const drag = this.drag;
    if (!drag || event.pointerId !== drag.pointerId) return;
    this.endDrag();
    if (drag.started) {
      const target = this.squareFromPoint(event.clientX, event.clientY);
      if (target >= 0 && target !== drag.from && this.destinationsOf(drag.from).has(target)) {
        this.tryMove(drag.from, target, true);
        return;
      }
      // Dropped back on its own square: stays selected for a click move; anywhere else: let go.
      if (target !== drag.from) this.selected = -1;
    } else if (drag.wasSelected) {
      this.selected = -1; // A second click on the selected piece lets it go.
    }
    this.render();
  }

  endDrag() {
    this.drag = null;
    this.hover = -1;
    this.ghost.hidden = true;
  }

  async tryMove(from, to, dragged) {
    const color = this.pieces[from]?.color;
    this.selected = -1;
    this.render();
    if (color && color === this.movableColor) {
      const prefix = squareName(from) + squareName(to);
      const candidates = this.legalMoves.filter((uci) => uci.startsWith(prefix));
      if (candidates.length === 0) return;
      let uci = candidates[0];
      if (candidates.some((candidate) => candidate.length === 5)) {
        const role = await this.choosePromotion(to, color);
        if (!role) return;
        uci = prefix + PROMOTION_LETTER[role];
        if (!candidates.includes(uci)) return;
      }
      this.onMove(uci, dragged);
    } else if (color && color === this.premoveColor) {
      let uci = squareName(from) + squareName(to);
      if (isPromotionMove(this.pieces, from, to)) {
        const role = await this.choosePromotion(to, color);
        if (!role) return;
        uci += PROMOTION_LETTER[role];
      }
      this.onPremove(uci, dragged);
    }
  }

  cancelPremove() {
    this.premove = null;
    this.onPremoveCancel();
  }

  /** Asks which piece a pawn promotes to; resolves with the role, or null if cancelled. */
  choosePromotion(square, color) {
    if (this.promotion) this.promotion.finish(null);
    return new Promise((resolve) => {
      const { row, column } = this.displayOf(square);
      const step = row === 0 ? 1 : -1;
      const overlay = element('div', 'cb-promotion');
      PROMOTION_ROLES.forEach((role, index) => {
        const button = element('button', 'cb-promotion-choice');
        button.type = 'button';
        button.style.left = `${column * 12.5}%`;
        button.style.top = `${(row + step * index) * 12.5}%`;
        button.setAttribute('aria-label', `Promote to ${role}`);
        button.append(element('span', `chess-piece ${color} ${role}`));
        button.addEventListener('click', (event) => {
          event.stopPropagation();
          finish(role);
        });
        overlay.append(button);
      });
      const finish = (role) => {
        if (this.promotion?.overlay !== overlay) return;
        this.promotion = null;
        overlay.remove();
        document.removeEventListener('keydown', onKey);
        resolve(role);
      };
      const onKey = (event) => {
        if (event.key === 'Escape') finish(null);
      };
      overlay.addEventListener('pointerdown', (event) => event.stopPropagation());
      overlay.addEventListener('click', () => finish(null));
      document.addEventListener('keydown', onKey);
      this.promotion = { overlay, finish };
      this.root.append(overlay);
      overlay.querySelector('button').focus({ preventScroll: true });
    });
  }
}
