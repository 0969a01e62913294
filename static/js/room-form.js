// The lobby's "Play with friends" form: POST /api/rooms (session + CSRF), then the room's page.

import { speedName, timeControlText } from './chess-clock.js';
import { TIME_CONTROLS } from './room-state.js';
import { showToast } from './toast.js';

const DEFAULT_TC = '3+2';

/** The body of POST /api/rooms from the form's values: chess sends its clock, Snake its seats. */
export function roomCreateFields({ game, tc, target_players: targetPlayers, bot_level: botLevel }) {
  if (game === 'chess') return { game, tc, bot_level: botLevel };
  return { game, target_players: Number(targetPlayers), bot_level: botLevel };
}

export function roomPageUrl(code) {
  return `/room/${encodeURIComponent(code)}/`;
}

export class RoomForm {
  constructor(form) {
    this.form = form;
    this.submitButton = form.querySelector('[type="submit"]');
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
    this.form.querySelector('[data-room-players]').hidden = chess;
  }

  async create() {
    const values = Object.fromEntries(new FormData(this.form));
    this.submitButton.disabled = true;
    try {
      const response = await fetch('/api/rooms', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': values.csrfmiddlewaretoken },
        body: JSON.stringify(roomCreateFields(values)),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status !== 201) throw new Error(answer.error?.message || `HTTP ${response.status}`);
      location.assign(roomPageUrl(answer.code));
    } catch (error) {
      showToast(`Could not create the room: ${error.message}`);
      this.submitButton.disabled = false;
    }
  }
}
