// The Snake board as the server last described it: the board of a gameState, then each tick's
// deltas applied in order (docs/protocol.md, section 6, `tick`). The same decoder as apply_tick
// in engine/games/snake/rules.py, and checked against the same recorded games.

function sameCell(a, b) {
  return a[0] === b[0] && a[1] === b[1];
}

/** A live snake's body after a tick that sent no whole body for it; null if it had none before. */
function movedBody(previous, entry) {
  if (!previous || previous.length === 0) return null;
  // The head stays put only while the countdown holds every snake still.
  const body = sameCell(previous[0], entry.head) ? previous : [entry.head, ...previous];
  return body.slice(0, entry.length);
}

/**
 * The board after `tick`, from the board before it (a gameState, or what the previous applyTick
 * returned); neither is changed. Null when the tick does not follow that board (a live snake
 * without a body to move): the caller then needs a fresh gameState.
 */
export function applyTick(board, tick) {
  const previousBodies = new Map(board.players.map((player) => [player.username, player.body]));
  const players = [];
  for (const entry of tick.players) {
    let body = [];
    if (entry.body) body = entry.body;
    else if (entry.alive) body = movedBody(previousBodies.get(entry.username), entry);
    if (body === null) return null;
    players.push({
      username: entry.username,
      head: entry.head,
      body,
      direction: entry.direction,
      alive: entry.alive,
      score: entry.score,
    });
  }
  const removed = tick.food_removed || [];
  const kept = board.food.filter((cell) => !removed.some((eaten) => sameCell(eaten, cell)));
  const food = [...kept, ...(tick.food_added || [])];
  return { ...board, tick: tick.tick, countdown: tick.countdown, players, food };
}
