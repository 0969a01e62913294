// The Snake board: a canvas redrawn every animation frame, gliding snakes between two ticks.

const PLAYER_COLORS = [
  '#4ade80', // green
  '#38bdf8', // sky
  '#f472b6', // pink
  '#fbbf24', // amber
  '#a78bfa', // violet
  '#fb923c', // orange
  '#2dd4bf', // teal
  '#a3e635', // lime
];
const FOOD_COLOR = '#ff4d6d';
const BOARD_COLOR = '#0d1320';
const GRID_COLOR = 'rgba(148, 163, 184, 0.07)';
const GHOST_FADE_MS = 700;
const EAT_RING_MS = 450;
const DEFAULT_BOARD_SIZE = 24;
// Names are drawn above heads only when a cell is at least this many CSS pixels wide.
const MIN_CELL_FOR_LABELS = 16;
const EYE_OFFSETS = {
  UP: [[-1, -1], [1, -1]],
  DOWN: [[-1, 1], [1, 1]],
  LEFT: [[-1, -1], [-1, 1]],
  RIGHT: [[1, -1], [1, 1]],
};

/** Colour per player, kept while the player stays; a newcomer takes the first free colour. */
export class PlayerColors {
  constructor() {
    this.indexByName = new Map();
  }

  update(players) {
    const present = new Set(players.map((player) => player.username));
    for (const name of this.indexByName.keys()) {
      if (!present.has(name)) this.indexByName.delete(name);
    }
    const used = new Set(this.indexByName.values());
    for (const { username } of players) {
      if (this.indexByName.has(username)) continue;
      let index = PLAYER_COLORS.findIndex((_, candidate) => !used.has(candidate));
      if (index === -1) index = this.indexByName.size % PLAYER_COLORS.length;
      this.indexByName.set(username, index);
      used.add(index);
    }
  }

  colorOf(username) {
    const index = this.indexByName.get(username);
    return index === undefined ? null : PLAYER_COLORS[index];
  }
}

function sameCell(a, b) {
  return a[0] === b[0] && a[1] === b[1];
}

function lerpCell(from, to, progress) {
  return [from[0] + (to[0] - from[0]) * progress, from[1] + (to[1] - from[1]) * progress];
}

/** True when `current` is `previous` moved one cell forward (not a respawn or a teleport). */
function movedOneStep(previous, current) {
  const [head, oldHead] = [current[0], previous[0]];
  const distance = Math.abs(head[0] - oldHead[0]) + Math.abs(head[1] - oldHead[1]);
  return distance === 1 && (current.length < 2 || sameCell(current[1], oldHead));
}

/**
 * The polyline (head first, in cells) to draw for a snake `progress` (0..1) of the way from
 * its previous body to its current one. The head slides forward and the tail slides after it;
 * a snake that just ate keeps its tail where it was, which is how it grows.
 */
export function interpolatedPath(previous, current, progress) {
  if (!previous || previous.length === 0 || !movedOneStep(previous, current)) return current;
  const path = [lerpCell(previous[0], current[0], progress), ...current.slice(1)];
  const oldTail = previous[previous.length - 1];
  const newTail = current[current.length - 1];
  if (!sameCell(oldTail, newTail)) path.push(lerpCell(oldTail, newTail, progress));
  return path;
}

/**
 * Where a name label is drawn, in canvas pixels: centred above the head, but kept inside the
 * canvas (below the head on the top rows, shifted in from the side edges).
 * head: [x, y] of the head's centre; size: [width, height] of the canvas; text: [width, height].
 */
export function labelPlacement({ head: [x, y], cellPx, size: [width, height], text: [textWidth, textHeight], margin }) {
  const half = textWidth / 2;
  const left = half + margin;
  const right = width - half - margin;
  const centre = left > right ? width / 2 : Math.min(Math.max(x, left), right);
  const gap = cellPx * 0.55;
  if (y - gap - textHeight >= margin) return { x: centre, y: y - gap, baseline: 'bottom' };
  return { x: centre, y: Math.min(y + gap, height - textHeight - margin), baseline: 'top' };
}

function bodiesByName(players) {
  const bodies = new Map();
  for (const player of players) {
    if (player.alive && player.body && player.body.length > 0) bodies.set(player.username, player);
  }
  return bodies;
}

export class SnakeBoard {
  constructor(canvas, colors) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.colors = colors;
    this.me = null;
    this.tickMs = 100;
    this.width = DEFAULT_BOARD_SIZE;
    this.height = DEFAULT_BOARD_SIZE;
    this.food = [];
    this.previousSnakes = new Map();
    this.currentSnakes = new Map();
    this.tickArrivedAt = 0;
    this.ghosts = [];
    this.eatRings = [];
    this.cellPx = 0;
    this.pixelRatio = 0;
    this.gridImage = null;
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
  }

  setMe(username) {
    this.me = username;
  }

  setTickRate(ticksPerSecond) {
    this.tickMs = 1000 / ticksPerSecond;
  }

  /** Shows a board as it is, without gliding from what was shown before. */
  reset(snapshot) {
    this.setDimensions(snapshot.width, snapshot.height);
    this.food = snapshot.food;
    this.currentSnakes = bodiesByName(snapshot.players);
    this.previousSnakes = new Map();
    this.ghosts = [];
    this.eatRings = [];
  }

  /**
   * Takes the board after a tick (snake-tick.js's applyTick) and that tick's events: what was
   * current becomes the start of the glide.
   */
  advance(snapshot, events) {
    const now = performance.now();
    const nextSnakes = bodiesByName(snapshot.players);
    for (const [name, snake] of this.currentSnakes) {
      if (!nextSnakes.has(name)) this.ghosts.push({ name, body: snake.body, since: now });
    }
    for (const event of events) {
      if (event.kind === 'ate') this.eatRings.push({ name: event.player, cell: event.at, since: now });
    }
    this.previousSnakes = this.currentSnakes;
    this.currentSnakes = nextSnakes;
    this.food = snapshot.food;
    this.tickArrivedAt = now;
    this.forgetFinishedEffects(now);
  }

  // Also called on ticks, so effects do not pile up while a hidden tab draws nothing.
  forgetFinishedEffects(now) {
    this.ghosts = this.ghosts.filter((ghost) => now - ghost.since < GHOST_FADE_MS);
    this.eatRings = this.eatRings.filter((ring) => now - ring.since < EAT_RING_MS);
  }

  start() {
    const frame = (time) => {
      this.draw(time);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  // -- sizing --------------------------------------------------------------------------------

  setDimensions(width, height) {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.resize();
  }

  /** Whole device pixels per cell keep the grid lines crisp; the canvas is centred in its box. */
  resize() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const fitting = Math.min((box.width * ratio) / this.width, (box.height * ratio) / this.height);
    const cellPx = Math.max(1, Math.floor(fitting));
    this.pixelRatio = ratio;
    this.cellPx = cellPx;
    this.canvas.width = cellPx * this.width;
    this.canvas.height = cellPx * this.height;
    this.canvas.style.width = `${this.canvas.width / ratio}px`;
    this.canvas.style.height = `${this.canvas.height / ratio}px`;
    this.gridImage = this.drawGridImage();
  }

  drawGridImage() {
    const image = document.createElement('canvas');
    image.width = this.canvas.width;
    image.height = this.canvas.height;
    const context = image.getContext('2d');
    context.fillStyle = BOARD_COLOR;
    context.fillRect(0, 0, image.width, image.height);
    context.fillStyle = GRID_COLOR;
    const line = Math.max(1, Math.round(this.pixelRatio));
    for (let x = 1; x < this.width; x += 1) context.fillRect(x * this.cellPx, 0, line, image.height);
    for (let y = 1; y < this.height; y += 1) context.fillRect(0, y * this.cellPx, image.width, line);
    return image;
  }

  // -- drawing -------------------------------------------------------------------------------

  draw(time) {
    if (window.devicePixelRatio !== this.pixelRatio) this.resize();
    const context = this.context;
    context.drawImage(this.gridImage, 0, 0);
    this.forgetFinishedEffects(time);
    this.drawFood(time);
    this.drawEatRings(time);
    this.drawGhosts(time);
    const progress = Math.min(1, Math.max(0, (time - this.tickArrivedAt) / this.tickMs));
    // Your own snake last, so it stays on top.
    const others = [...this.currentSnakes.values()].filter((snake) => snake.username !== this.me);
    const mine = this.currentSnakes.get(this.me);
    for (const snake of mine ? [...others, mine] : others) {
      const previous = this.previousSnakes.get(snake.username);
      const path = interpolatedPath(previous && previous.body, snake.body, progress);
      this.drawSnake(path, snake.username, snake.direction, 1);
    }
  }

  centre(cell) {
    return [(cell[0] + 0.5) * this.cellPx, (cell[1] + 0.5) * this.cellPx];
  }

  drawFood(time) {
    const context = this.context;
    const pulse = 1 + 0.1 * Math.sin(time / 250);
    const radius = this.cellPx * 0.34 * pulse;
    context.save();
    context.shadowColor = FOOD_COLOR;
    context.shadowBlur = this.cellPx * 1.2;
    for (const cell of this.food) {
      const [x, y] = this.centre(cell);
      const glow = context.createRadialGradient(x, y, 0, x, y, radius);
      glow.addColorStop(0, '#fff5f7');
      glow.addColorStop(0.35, FOOD_COLOR);
      glow.addColorStop(1, 'rgba(255, 77, 109, 0.85)');
      context.fillStyle = glow;
      context.beginPath();
      context.arc(x, y, radius, 0, Math.PI * 2);
      context.fill();
    }
    context.restore();
  }

  drawEatRings(time) {
    const context = this.context;
    context.save();
    for (const ring of this.eatRings) {
      const age = (time - ring.since) / EAT_RING_MS;
      const [x, y] = this.centre(ring.cell);
      context.globalAlpha = 1 - age;
      context.strokeStyle = this.colors.colorOf(ring.name) || FOOD_COLOR;
      context.lineWidth = Math.max(1, this.cellPx * 0.08);
      context.beginPath();
      context.arc(x, y, this.cellPx * (0.3 + age * 0.9), 0, Math.PI * 2);
      context.stroke();
    }
    context.restore();
  }

  drawGhosts(time) {
    for (const ghost of this.ghosts) {
      const fade = 1 - (time - ghost.since) / GHOST_FADE_MS;
      this.drawSnake(ghost.body, ghost.name, null, 0.5 * fade);
    }
  }

  /** `path` is head first, in (possibly fractional) cells; `direction` null draws no eyes. */
  drawSnake(path, username, direction, opacity) {
    const context = this.context;
    const color = this.colors.colorOf(username) || PLAYER_COLORS[0];
    const isMe = username === this.me;
    const points = path.map((cell) => this.centre(cell));
    context.save();
    context.globalAlpha = opacity;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    if (isMe) {
      context.shadowColor = color;
      context.shadowBlur = this.cellPx * 0.7;
    }
    context.strokeStyle = color;
    context.lineWidth = this.cellPx * (isMe ? 0.74 : 0.66);
    this.strokePolyline(points);
    context.shadowBlur = 0;
    // A lighter stripe down the back gives the body some depth.
    context.strokeStyle = 'rgba(255, 255, 255, 0.16)';
    context.lineWidth = this.cellPx * 0.22;
    this.strokePolyline(points);
    this.drawHead(points[0], color, direction, isMe);
    if (!isMe && this.cellPx / this.pixelRatio >= MIN_CELL_FOR_LABELS) this.drawLabel(points[0], username);
    context.restore();
  }

  strokePolyline(points) {
    if (points.length < 2) return;
    const context = this.context;
    context.beginPath();
    context.moveTo(...points[0]);
    for (const point of points.slice(1)) context.lineTo(...point);
    context.stroke();
  }

  drawHead([x, y], color, direction, isMe) {
    const context = this.context;
    const cell = this.cellPx;
    context.fillStyle = color;
    context.beginPath();
    context.arc(x, y, cell * 0.42, 0, Math.PI * 2);
    context.fill();
    if (isMe) {
      context.strokeStyle = 'rgba(255, 255, 255, 0.9)';
      context.lineWidth = Math.max(1, cell * 0.07);
      context.stroke();
    }
    if (!direction) return;
    context.fillStyle = '#0b0f17';
    for (const [dx, dy] of EYE_OFFSETS[direction]) {
      context.beginPath();
      context.arc(x + dx * cell * 0.17, y + dy * cell * 0.17, cell * 0.075, 0, Math.PI * 2);
      context.fill();
    }
  }

  drawLabel(head, username) {
    const context = this.context;
    const fontPx = Math.round(11 * this.pixelRatio);
    context.font = `600 ${fontPx}px system-ui, sans-serif`;
    const place = labelPlacement({
      head,
      cellPx: this.cellPx,
      size: [this.canvas.width, this.canvas.height],
      text: [context.measureText(username).width, fontPx],
      margin: 2 * this.pixelRatio,
    });
    context.textAlign = 'center';
    context.textBaseline = place.baseline;
    context.fillStyle = 'rgba(230, 235, 245, 0.8)';
    context.fillText(username, place.x, place.y);
  }
}
