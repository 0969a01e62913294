// The lobby's "Play with friends" form: POST /api/rooms (session + CSRF), then
// the room's page; or POST /api/bot-games, then the game's page.

import { speedName, timeControlText } from './chess-clock.js';
import { TIME_CONTROLS } from './room-state.js';
import { showToast } from './toast.js';

const DEFAULT_TC = '3+2';

/** The body of POST /api/rooms from the form's values: chess sends its clock, Snake its seats. */
export function roomCreateFields({ game, tc, target_players: targetPlayers, bot_level: botLevel }) {
  if (game === 'chess') return { game, tc, bot_level: botLevel };
  return { game, target_players: Number(targetPlayers), bot_level: botLevel };
}

/** The body of POST /api/bot-games: a room's fields, and chess' colour. */
export function botGameFields(values) {
  const fields = roomCreateFields(values);
  return values.game === 'chess' ? { ...fields, color: values.color || 'random' } : fields;
}

export function roomPageUrl(code) {
  return `/room/${encodeURIComponent(code)}/`;
}

export class RoomForm {
  constructor(form) {
    this.form = form;
    this.submitButton = form.querySelector('[type="submit"]');
    this.playButton = form.querySelector('[data-play-computer]');
    this.playButton.addEventListener('click', () => this.playComputer());
    const tc = form.elements.tc;
    tc.replaceChildren(
      ...TIME_CONTROLS.map((label) => new Option([timeControlText(label), speedName(label)].join(' '), label)),
    );
    tc.value = DEFAULT_TC;
    form.elements.game.addEventListener('change', () => this.showGameFields());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
    this.showGameFields();
  }

  showGameFields() {
    const chess = this.form.elements.game.value === 'chess';
    this.form.querySelector('[data-room-tc]').hidden = !chess;
    this.form.querySelector('[data-room-color]').hidden = !chess;
    this.form.querySelector('[data-room-players]').hidden = chess;
  }

  async create() {
    const values = Object.fromEntries(new FormData(this.form));
    const answer = await this.post('/api/rooms', roomCreateFields(values), 'create the room');
    if (answer) location.assign(roomPageUrl(answer.code));
  }

  async playComputer() {
    const values = Object.fromEntries(new FormData(this.form));
    const answer = await this.post('/api/bot-games', botGameFields(values), 'start a game');
    if (answer) location.assign(`/game/${encodeURIComponent(answer.game_id)}/`);
  }

  /** The 201 answer's JSON, or null after telling the player what failed. */
  async post(url, body, doing) {
    const csrfToken = this.form.elements.csrfmiddlewaretoken.value;
    this.submitButton.disabled = this.playButton.disabled = true;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status !== 201) throw new Error(answer.error?.message || `HTTP ${response.status}`);
      return answer;
    } catch (error) {
      showToast(`Could not ${doing}: ${error.message}`);
      this.submitButton.disabled = this.playButton.disabled = false;
      return null;
    }
  }
}
