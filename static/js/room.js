// Room page: a private room's lobby over /ws/room/<code>/. What the room is lives in room-state.js;
// this file draws it and sends what the player does.

import { speedName, timeControlText } from './chess-clock.js';
import {
  applyRoomMessage,
  emptyRoom,
  isReady,
  isRefusal,
  memberRows,
  playerCountChoices,
  refusalText,
  seatsText,
  startState,
  timeControlChoices,
} from './room-state.js';
import { CLOSE, ReconnectingSocket, socketUrl } from './socket.js';
import { showServerError, showToast } from './toast.js';

// Unknown room, full room, or already in it on another socket.
const ROOM_REFUSED = 4003;
const FINAL_CLOSE_CODES = [
  CLOSE.MATCHED,
  CLOSE.UNAUTHENTICATED,
  ROOM_REFUSED,
  CLOSE.UNKNOWN_GAME,
  CLOSE.TOO_MANY_MESSAGES,
  CLOSE.FRAME_TOO_BIG,
];
const CLOSED_TEXTS = {
  [CLOSE.UNAUTHENTICATED]: ['Signed out', 'Please reload the page to sign in again.'],
  [CLOSE.TOO_MANY_MESSAGES]: ['Disconnected', 'Too many messages were sent.'],
  [CLOSE.FRAME_TOO_BIG]: ['Disconnected', 'A message was too big.'],
};
const CONNECTION_TEXTS = { connecting: 'Connecting…', live: 'Connected', reconnecting: 'Reconnecting…', closed: 'Disconnected' };
const GAME_NAMES = { snake: 'Snake', chess: 'Chess' };
// A reconnect can reach the server before it has noticed that our previous socket is gone: it
// then refuses us as `already_in_room`, and a little later lets us in.
const REJOIN_DELAY_MS = 2000;
const REJOIN_ATTEMPTS = 3;

class RoomPage {
  constructor(root) {
    this.code = root.dataset.roomCode;
    this.me = root.dataset.username;
    this.room = emptyRoom();
    this.refusal = null;
    this.wasInRoom = false;
    this.rejoins = 0;
    const find = (selector) => root.querySelector(selector);
    this.view = {
      open: find('[data-room-open]'),
      closed: find('[data-room-closed]'),
      closedTitle: find('[data-room-closed-title]'),
      closedDetail: find('[data-room-closed-detail]'),
      connection: find('[data-connection]'),
      connectionText: find('[data-connection-text]'),
      game: find('[data-room-game]'),
      shareLink: find('[data-share-link]'),
      copyLink: find('[data-copy-link]'),
      seats: find('[data-seats]'),
      members: find('[data-members]'),
      ready: find('[data-ready-toggle]'),
      start: find('[data-start]'),
      startHint: find('[data-start-hint]'),
      settings: find('[data-settings]'),
      settingsHint: find('[data-settings-hint]'),
      tcField: find('[data-tc-field]'),
      chatLog: find('[data-chat-log]'),
      chatForm: find('[data-chat-form]'),
    };
    // The option lists drawn last, so a select is rebuilt only when its choices change.
    this.drawnChoices = {};
    this.socket = new ReconnectingSocket({
      url: () => socketUrl(`/ws/room/${encodeURIComponent(this.code)}/`),
      finalCloseCodes: FINAL_CLOSE_CODES,
      onMessage: (message) => this.handleMessage(message),
      onStatus: (status) => this.showConnection(status),
      onClosed: (code) => this.handleClosed(code),
    });
  }

  start() {
    const { view } = this;
    view.shareLink.value = `${location.origin}/room/${encodeURIComponent(this.code)}/`;
    view.copyLink.addEventListener('click', () => this.copyShareLink());
    view.ready.addEventListener('click', () => this.send({ type: 'ready_status', is_ready: !isReady(this.room, this.me) }));
    view.start.addEventListener('click', () => this.send({ type: 'start_game' }));
    view.settings.addEventListener('change', (event) => this.changeSetting(event.target));
    view.settings.addEventListener('submit', (event) => event.preventDefault());
    view.chatForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = view.chatForm.elements.message;
      const message = input.value.trim();
      if (message && this.send({ type: 'chat_message', message })) input.value = '';
    });
    this.render();
    this.socket.connect();
  }

  send(message) {
    const sent = this.socket.send(message);
    if (!sent) showToast('Not connected to the room right now');
    return sent;
  }

  changeSetting(select) {
    const value = select.name === 'target_players' ? Number(select.value) : select.value;
    this.send({ type: 'update_settings', [select.name]: value });
  }

  handleMessage(message) {
    switch (message.type) {
      case 'game_start':
        location.assign(`/game/${encodeURIComponent(message.game_id)}/`);
        return;
      case 'chat_message':
        this.appendChat(message.user, message.message);
        return;
      case 'error':
        // A refusal comes just before close 4003, which explains it.
        if (isRefusal(message.code)) this.refusal = message.code;
        else showServerError(message);
        this.render(); // puts back a setting the server refused
        return;
      case 'joined':
        if (message.user === this.me) {
          this.wasInRoom = true;
          this.rejoins = 0;
        } else {
          this.appendNotice(`${message.user} joined`);
        }
        break;
      case 'player_left': {
        const newHost = message.owner !== this.room.owner ? ` · ${message.is_owner ? 'you are' : `${message.owner} is`} the host now` : '';
        this.appendNotice(`${message.user_left} left${newHost}`);
        break;
      }
      default:
        break;
    }
    this.room = applyRoomMessage(this.room, message);
    this.render();
  }

  handleClosed(code) {
    if (code === CLOSE.MATCHED) return; // game_start is taking us to the game.
    if (code === ROOM_REFUSED && this.refusal === 'already_in_room' && this.wasInRoom && this.rejoins < REJOIN_ATTEMPTS) {
      this.rejoins += 1;
      this.refusal = null;
      setTimeout(() => this.socket.connect(), REJOIN_DELAY_MS);
      return;
    }
    const [title, detail] = CLOSED_TEXTS[code] || ['Room not found or full', refusalText(this.refusal)];
    this.view.closedTitle.textContent = title;
    this.view.closedDetail.textContent = detail;
    this.view.open.hidden = true;
    this.view.closed.hidden = false;
  }

  showConnection(status) {
    this.view.connection.dataset.state = status === 'reconnecting' ? 'connecting' : status;
    this.view.connectionText.textContent = CONNECTION_TEXTS[status] || status;
  }

  async copyShareLink() {
    const link = this.view.shareLink;
    try {
      await navigator.clipboard.writeText(link.value);
      showToast('Link copied', 'info');
    } catch {
      link.select(); // No clipboard access (plain http, or refused): the player copies it.
      showToast('Press Ctrl+C (or ⌘C) to copy the link', 'info');
    }
  }

  // -- drawing ---------------------------------------------------------------------------------

  render() {
    const { room, view } = this;
    view.members.replaceChildren(...memberRows(room, this.me).map(memberItem));
    view.seats.textContent = seatsText(room);
    const ready = isReady(room, this.me);
    view.ready.textContent = ready ? 'Cancel ready' : "I'm ready";
    view.ready.setAttribute('aria-pressed', String(ready));
    view.ready.classList.toggle('is-ready', ready);
    view.ready.disabled = room.players.length === 0;
    const start = startState(room);
    view.start.hidden = !start.visible;
    view.start.disabled = !start.enabled;
    view.startHint.textContent = room.players.length ? start.hint : '';
    this.renderSettings();
  }

  renderSettings() {
    const { room, view } = this;
    const settings = room.settings;
    view.game.textContent = settings ? GAME_NAMES[settings.game] || settings.game : '…';
    if (!settings) return;
    const form = view.settings.elements;
    this.drawChoices(form.target_players, playerCountChoices(room), String);
    view.tcField.hidden = settings.game !== 'chess';
    if (settings.game === 'chess') {
      this.drawChoices(form.tc, timeControlChoices(settings.tc), (tc) => [timeControlText(tc), speedName(tc)].filter(Boolean).join(' '));
      form.tc.value = settings.tc;
    }
    form.target_players.value = String(settings.target_players);
    form.bot_level.value = settings.bot_level;
    for (const select of view.settings.querySelectorAll('[data-setting]')) select.disabled = !room.isOwner;
    view.settingsHint.textContent = room.isOwner ? 'You are the host: changes reach everyone at once.' : 'Only the host can change these.';
  }

  drawChoices(select, values, label) {
    const key = values.join('|');
    if (this.drawnChoices[select.name] === key) return;
    this.drawnChoices[select.name] = key;
    select.replaceChildren(...values.map((value) => new Option(label(value), String(value))));
  }

  appendChat(user, text) {
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'chat-name';
    name.textContent = user;
    item.append(name, document.createTextNode(text));
    this.appendToChat(item);
  }

  appendNotice(text) {
    const item = document.createElement('li');
    item.className = 'chat-notice';
    item.textContent = text;
    this.appendToChat(item);
  }

  appendToChat(item) {
    const log = this.view.chatLog;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
    log.append(item);
    if (atBottom) log.scrollTop = log.scrollHeight;
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// Drawn rather than an emoji: not every system has a font with 👑.
function crownIcon() {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 20 16');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', 'M1 4l5 4 4-7 4 7 5-4-2 11H3z');
  svg.append(path);
  return svg;
}

function memberItem(row) {
  const item = document.createElement('li');
  item.className = 'member-row';
  item.classList.toggle('is-ready', row.ready);
  const crown = document.createElement('span');
  crown.className = 'member-crown';
  if (row.host) {
    crown.title = 'Host';
    crown.setAttribute('role', 'img');
    crown.setAttribute('aria-label', 'Host');
    crown.append(crownIcon());
  }
  const name = document.createElement('span');
  name.className = 'member-name';
  name.textContent = row.username;
  if (row.you) {
    const you = document.createElement('span');
    you.className = 'you-tag';
    you.textContent = 'you';
    name.append(' ', you);
  }
  const ready = document.createElement('span');
  ready.className = 'member-ready';
  ready.textContent = row.ready ? '✓ Ready' : 'Not ready';
  item.append(crown, name, ready);
  return item;
}

new RoomPage(document.querySelector('[data-room]')).start();
