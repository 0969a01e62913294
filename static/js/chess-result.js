// Words for how a chess game ended.

import { otherColor } from './chess-logic.js';

export const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** Why a game ended, as words: the headline and the result line ("1-0 · White wins by …"). */
export function describeResult({ status, reason, winner }) {
  const loser = winner ? otherColor(winner) : null;
  const Winner = winner ? capitalize(winner) : '';
  const Loser = loser ? capitalize(loser) : '';
  if (status === 'aborted') {
    const text = reason === 'engine_error' ? 'Game stopped by a server error' : 'Game aborted';
    return { score: '–', headline: 'Aborted', text };
  }
  const score = winner === 'white' ? '1-0' : winner === 'black' ? '0-1' : '½-½';
  let text;
  if (winner) {
    const how = {
      checkmate: `${Winner} wins by checkmate`,
      resignation: `${Winner} wins by resignation`,
      timeout: `${Winner} wins on time`,
      abandoned: `${Winner} wins · ${Loser} left the game`,
    }[reason];
    text = how || `${Winner} wins${reason ? ` (${reason.replaceAll('_', ' ')})` : ''}`;
  } else {
    const how = {
      agreement: 'Draw by agreement',
      stalemate: 'Draw by stalemate',
      insufficient_material: 'Draw by insufficient material',
      threefold_repetition: 'Draw by threefold repetition',
      fifty_moves: 'Draw by the fifty-move rule',
      fivefold_repetition: 'Draw by fivefold repetition',
      seventyfive_moves: 'Draw by the seventy-five-move rule',
      timeout: 'Draw: time out, but the opponent cannot mate',
      abandoned: 'Draw: a player left the game',
      engine_error: 'Draw: the game stopped on a server error',
    }[reason];
    text = how || `Draw${reason ? ` (${reason.replaceAll('_', ' ')})` : ''}`;
  }
  const headline = winner ? `${Winner} wins` : 'Draw';
  return { score, headline, text };
}
