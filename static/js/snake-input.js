// Steering: keys and swipes become directions, sent at most one turn per tick.

const OPPOSITE = { UP: 'DOWN', DOWN: 'UP', LEFT: 'RIGHT', RIGHT: 'LEFT' };
// By key for arrows, by physical key for WASD (so ZQSD on an AZERTY keyboard works too).
const KEY_DIRECTIONS = {
  ArrowUp: 'UP',
  ArrowDown: 'DOWN',
  ArrowLeft: 'LEFT',
  ArrowRight: 'RIGHT',
  KeyW: 'UP',
  KeyS: 'DOWN',
  KeyA: 'LEFT',
  KeyD: 'RIGHT',
};
const SWIPE_MIN_PX = 24;
const MAX_QUEUED_TURNS = 2;

/**
 * The server applies every turn it got since the last tick, and ignores one that would fold
 * the snake onto its neck. Two quick turns (a U-turn) would therefore lose the second one, so
 * turns beyond the first in a tick wait here for the next tick.
 */
export class TurnQueue {
  constructor(sendDirection) {
    this.sendDirection = sendDirection;
    this.heading = null;
    this.queued = [];
    this.sentThisTick = false;
  }

  /** Starts over from the direction of a snake that just (re)appeared. */
  reset(direction) {
    this.heading = direction;
    this.queued = [];
    this.sentThisTick = false;
  }

  press(direction) {
    if (this.heading === null) return;
    const intended = this.queued.at(-1) ?? this.heading;
    if (direction === intended || direction === OPPOSITE[intended]) return;
    if (!this.sentThisTick) {
      this.send(direction);
    } else if (this.queued.length < MAX_QUEUED_TURNS) {
      this.queued.push(direction);
    }
  }

  /** Called on each tick with the direction the server now has for our snake. */
  onTick(serverDirection) {
    // With no turn in flight, the server's word is the truth (it may have ignored a turn).
    if (!this.sentThisTick && this.queued.length === 0) this.heading = serverDirection;
    this.sentThisTick = false;
    const next = this.queued.shift();
    if (next) this.send(next);
  }

  send(direction) {
    this.sendDirection(direction);
    this.heading = direction;
    this.sentThisTick = true;
  }
}

// Keys typed into a text field are the field's, except arrows in an empty one: they have no
// text to move through, and steering from the chat box saves a click back onto the board.
const TEXT_FIELDS = 'input, textarea, select, [contenteditable="true"]';

function keyBelongsToField(event) {
  const field = event.target instanceof Element && event.target.closest(TEXT_FIELDS);
  if (!field) return false;
  return !(event.key.startsWith('Arrow') && field.value === '');
}

function activatesOnKey(target) {
  return target instanceof Element && target.closest('button, a');
}

/**
 * Listens to the keyboard and to swipes on `surface`.
 *   isActive()       whether the game should take keys at all (else the page keeps them)
 *   onDirection(dir) an arrow, WASD or swipe
 *   onConfirm()      Space or Enter
 */
export function listenForControls({ surface, isActive, onDirection, onConfirm }) {
  document.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || keyBelongsToField(event) || !isActive()) return;
    const direction = KEY_DIRECTIONS[event.key] || KEY_DIRECTIONS[event.code];
    if (direction) {
      event.preventDefault(); // Arrows would scroll the page.
      onDirection(direction);
    } else if ((event.key === ' ' || event.key === 'Enter') && !activatesOnKey(event.target)) {
      event.preventDefault();
      onConfirm();
    }
  });
  listenForSwipes(surface, isActive, onDirection);
}

// Each stretch of SWIPE_MIN_PX along one axis is a turn, so one gesture can turn several times.
function listenForSwipes(surface, isActive, onDirection) {
  let start = null;
  surface.addEventListener('pointerdown', (event) => {
    if (event.pointerType === 'mouse' || !isActive()) return;
    start = { x: event.clientX, y: event.clientY };
    surface.setPointerCapture(event.pointerId);
  });
  surface.addEventListener('pointermove', (event) => {
    if (!start) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    if (Math.max(Math.abs(dx), Math.abs(dy)) < SWIPE_MIN_PX) return;
    if (Math.abs(dx) > Math.abs(dy)) onDirection(dx > 0 ? 'RIGHT' : 'LEFT');
    else onDirection(dy > 0 ? 'DOWN' : 'UP');
    start = { x: event.clientX, y: event.clientY };
  });
  const end = () => {
    start = null;
  };
  surface.addEventListener('pointerup', end);
  surface.addEventListener('pointercancel', end);
}
