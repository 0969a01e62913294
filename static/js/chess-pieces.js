// Chess piece images: our own flat drawings, as SVG data URLs set as CSS backgrounds.
//
// Every piece is drawn from simple shapes in a 45×45 box. White pieces are light with a dark
// outline, black pieces dark with light inner lines, so both read clearly on either square.

export const ROLES = ['king', 'queen', 'rook', 'bishop', 'knight', 'pawn'];
export const COLORS = ['white', 'black'];

const PALETTE = {
  white: { fill: '#f8f7f4', stroke: '#16181d', detail: '#16181d' },
  black: { fill: '#262a33', stroke: '#07080a', detail: '#d9dde5' },
};

// Each drawing: [shapes filled and outlined], then [detail lines, outlined only].
const DRAWINGS = {
  pawn: {
    shapes: [
      'M19 19h7l-.6 2.2c2.6 3 4.6 7.2 5.5 11.8H14.1c.9-4.6 2.9-8.8 5.5-11.8z',
      '<circle cx="22.5" cy="13" r="5.2"/>',
      '<rect x="11.5" y="33" width="22" height="5.5" rx="2.2"/>',
    ],
    details: [],
  },
  rook: {
    shapes: [
      'M16.2 30.5l1-13h10.6l1 13z',
      'M14 17.5l-.5-9h4v3h3v-3h4v3h3v-3h4l-.5 9z',
      'M13.5 33.5l2-3h14l2 3z',
      '<rect x="11" y="33.5" width="23" height="5" rx="1.6"/>',
    ],
    details: ['M17.2 21.5h10.6'],
  },
  bishop: {
    shapes: [
      'M17 34c1.1-2.3 1.6-4 1.6-5.5h7.8c0 1.5.5 3.2 1.6 5.5z',
      'M22.5 9.8C17.4 13.8 15 18.2 15 21.9c0 2.2 1 3.9 2.5 4.8h10c1.5-.9 2.5-2.6 2.5-4.8 0-3.7-2.4-8.1-7.5-12.1z',
      '<rect x="15.3" y="26.4" width="14.4" height="3" rx="1.5"/>',
      '<circle cx="22.5" cy="8" r="2.4"/>',
      '<rect x="11.5" y="34" width="22" height="4.5" rx="2.2"/>',
    ],
    details: ['M25.6 14.6l-5.4 5.4'],
  },
  knight: {
    shapes: [
      'M15.5 33.5c-.2-4.6 2-7.6 5.4-10.1l-.3-2.2c-2.6 1.7-5.3 2.9-7.9 2.6-2.2-.3-3.7-2.2-2.8-4.3.5-1.1 1.6-1.9 2.5-2.7l5.8-5.7.1-3.6 3 2.4c7.4-.5 12.6 5.1 12.7 13.4.1 4.4-.6 7.7-1.3 10.2z',
      '<rect x="11" y="33.5" width="23.5" height="5" rx="2"/>',
    ],
    details: ['M22.8 12.4c4.4 1.2 7.4 5.2 7.6 11', '<circle cx="17.6" cy="14.9" r="1.1"/>', 'M12.6 20.2h.1'],
  },
  queen: {
    shapes: [
      'M12 34L9.2 15.2l6.3 10.2.7-13.4 5 12.6 1.3-14.2 1.3 14.2 5-12.6.7 13.4 6.3-10.2L33 34z',
      '<circle cx="9.2" cy="13.6" r="2.2"/>',
      '<circle cx="16.2" cy="10.6" r="2.2"/>',
      '<circle cx="22.5" cy="8.4" r="2.2"/>',
      '<circle cx="28.8" cy="10.6" r="2.2"/>',
      '<circle cx="35.8" cy="13.6" r="2.2"/>',
      '<rect x="10.5" y="34" width="24" height="4.5" rx="2"/>',
    ],
    details: ['M12.6 30.2c6.6-1.6 13.2-1.6 19.8 0'],
  },
  king: {
    shapes: [
      'M12.2 34c-3.4-5.6-4-12.4 1.4-14.3 3.9-1.4 7 1 8.9 4.8 1.9-3.8 5-6.2 8.9-4.8 5.4 1.9 4.8 8.7 1.4 14.3z',
      'M22.5 24.5c-2-3.2-2.6-6.4 0-9.2 2.6 2.8 2 6 0 9.2z',
      'M21.3 4.6h2.4v3h3v2.4h-3v4.6h-2.4V10h-3V7.6h3z',
      '<rect x="10.5" y="34" width="24" height="4.5" rx="2"/>',
    ],
    details: ['M12.8 29.8c6.4-1.9 12.8-1.9 19.4 0'],
  },
};

function shapeMarkup(shape) {
  return shape.startsWith('<') ? shape : `<path d="${shape}"/>`;
}

/** The SVG document for one piece. */
export function pieceSvg(color, role) {
  const { fill, stroke, detail } = PALETTE[color];
  const { shapes, details } = DRAWINGS[role];
  const detailLines = details
    .map((shape) => {
      const markup = shapeMarkup(shape);
      // Dots (an eye) are filled; lines are strokes only.
      const paint = markup.startsWith('<circle') ? `fill="${detail}" stroke="none"` : `fill="none" stroke="${detail}"`;
      return markup.replace(/\/>$/, ` ${paint}/>`);
    })
    .join('');
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 45 45">' +
    `<g fill="${fill}" stroke="${stroke}" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round">` +
    shapes.map(shapeMarkup).join('') +
    detailLines +
    '</g></svg>'
  );
}

export function pieceUrl(color, role) {
  return `url("data:image/svg+xml,${encodeURIComponent(pieceSvg(color, role))}")`;
}

let installed = false;

/** Adds the `.chess-piece.<color>.<role>` background rules to the page, once. */
export function installPieceStyles() {
  if (installed) return;
  installed = true;
  const rules = [];
  for (const color of COLORS) {
    for (const role of ROLES) {
      rules.push(`.chess-piece.${color}.${role}{background-image:${pieceUrl(color, role)}}`);
    }
  }
  const style = document.createElement('style');
  style.dataset.chessPieces = '';
  style.textContent = rules.join('\n');
  document.head.append(style);
}
