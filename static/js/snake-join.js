// The arena's join card: whether it shows, and what it says.

export const AWAY_TOO_LONG = 'You were away too long and your snake left the arena';

/**
 * mode: 'arena' | 'match'; playing: you are a player of a started game; hasBoard: a board has
 * come; me: your entry among the players, if any; leftWhileAway: your snake left the arena while
 * your connection was down; death: how your last snake died, in words; busy: a respawn is on its
 * way. Returns null (no card) or {title, detail, button, busy}.
 */
export function joinPrompt({ mode, playing, hasBoard, me, leftWhileAway, death, busy }) {
  if (mode !== 'arena' || !playing || !hasBoard || me?.alive) return null;
  if (!me && leftWhileAway) {
    return { title: AWAY_TOO_LONG, detail: 'Respawn to jump back in.', button: 'Respawn', busy };
  }
  if (!me) {
    const detail = 'Drop in whenever you like. Eat, grow, survive.';
    return { title: 'Join the arena', detail, button: 'Join the arena', busy };
  }
  return { title: `You ${death}`, detail: `Score this life: ${me.score}`, button: 'Respawn', busy };
}
