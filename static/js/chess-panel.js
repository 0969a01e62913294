// Everything on the chess page around the board: player strips, status, move list, buttons,
// offers, the result, and the two chat rooms.

import { otherColor } from './chess-logic.js';
import { capitalize } from './chess-result.js';

const CHAT_KEEP = 200;
const CONFIRM_MS = 3000;
const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  live: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};
const ROOMS = ['player', 'spectator'];
const ROLE_LETTERS = { queen: 'Q', rook: 'R', bishop: 'B', knight: 'N', pawn: 'P' };

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

class PlayerStrip {
  constructor(root) {
    const find = (name) => root.querySelector(`[data-${name}]`);
    this.root = root;
    this.icon = find('color');
    this.name = find('name');
    this.youTag = find('you');
    this.presence = find('presence');
    this.material = find('material');
    this.firstMove = find('first-move');
    this.clock = find('clock');
    this.clockText = find('clock-text');
    this.key = '';
    this.clockKey = '';
  }

  get color() {
    return this.root.dataset.color;
  }

  /** {color, username, connected, isYou, material: {roles, points}} */
  render({ color, username, connected, isYou, material }) {
    const key = JSON.stringify([color, username, connected, isYou, material]);
    if (key === this.key) return;
    this.key = key;
    this.root.dataset.color = color;
    this.icon.className = `chess-player-color is-${color}`;
    this.icon.title = capitalize(color);
    setText(this.name, username || '…');
    this.youTag.hidden = !isYou;
    this.presence.hidden = connected === undefined;
    this.presence.classList.toggle('is-away', connected === false);
    this.presence.title = connected === false ? 'Disconnected' : 'Connected';
    // The pieces this player took: the opponent's colour.
    const taken = otherColor(color);
    const shown = [];
    if (material.roles.length > 0) {
      const pieces = element('span', `chess-material-pieces ${taken}`);
      for (const role of material.roles) {
        const piece = element('span', `chess-material-piece chess-piece ${taken} ${role}`);
        piece.title = ROLE_LETTERS[role];
        pieces.append(piece);
      }
      shown.push(pieces);
    }
    if (material.points > 0) shown.push(element('span', 'chess-material-points', `+${material.points}`));
    this.material.replaceChildren(...shown);
  }

  showFirstMove(text) {
    this.firstMove.hidden = !text;
    if (text) setText(this.firstMove, text);
  }

  /** {text, running, low, out}, as ChessClocks.display gives it for this strip's colour. */
  renderClock({ text, running, low, out }) {
    const key = `${text}|${running}|${low}|${out}`;
    if (key === this.clockKey) return;
    this.clockKey = key;
    setText(this.clockText, text);
    this.clock.classList.toggle('is-running', running);
    this.clock.classList.toggle('is-low', low);
    this.clock.classList.toggle('is-out', out);
  }
}

/** One offer bar: {id, kind, text, accept, decline} (accept and decline: the actions, if any). */
function offerBar(offer, key) {
  const bar = element('div', `chess-offer chess-offer-${offer.kind}`);
  bar.dataset.offerKey = key;
  bar.dataset.testid = `offer-${offer.id}`;
  bar.setAttribute('role', 'alert');
  bar.append(element('span', 'chess-offer-text', offer.text));
  const buttons = element('span', 'chess-offer-buttons');
  if (offer.accept) {
    const accept = element('button', 'button button-small button-primary', 'Accept');
    accept.type = 'button';
    accept.dataset.offerAction = offer.accept;
    buttons.append(accept);
  }
  if (offer.decline) {
    const decline = element('button', 'button button-small', 'Decline');
    decline.type = 'button';
    decline.dataset.offerAction = offer.decline;
    buttons.append(decline);
  }
  bar.append(buttons);
  return bar;
}

export class ChessPanel {
  /** handlers: onAction(name), onPly(ply), onChat(message) → bool, onFlip(), onMute() */
  constructor(root, handlers) {
    const find = (name) => root.querySelector(`[data-${name}]`);
    this.handlers = handlers;
    this.connection = find('connection');
    this.connectionText = find('connection-text');
    this.reconnectingBanner = find('reconnecting');
    this.role = find('role');
    this.tcLabel = find('tc-label');
    this.fatal = find('fatal');
    this.fatalMessage = find('fatal-message');
    this.strips = {
      top: new PlayerStrip(root.querySelector('[data-player-strip="top"]')),
      bottom: new PlayerStrip(root.querySelector('[data-player-strip="bottom"]')),
    };
    this.status = find('status');
    this.moves = find('moves');
    this.offers = find('offers');
    this.actions = find('actions');
    this.nav = find('nav');
    this.result = find('result');
    this.resultScore = find('result-score');
    this.resultText = find('result-text');
    this.resultYou = find('result-you');
    this.rematchButton = find('rematch');
    this.newOpponent = find('new-opponent');
    this.pgnLink = find('pgn');
    this.rematchLink = find('rematch-link');
    this.chatTabs = new Map([...root.querySelectorAll('[data-chat-tab]')].map((tab) => [tab.dataset.chatTab, tab]));
    this.chatLogs = new Map([...root.querySelectorAll('[data-chat-log]')].map((log) => [log.dataset.chatLog, log]));
    this.chatForm = find('chat-form');
    this.soundToggle = find('sound-toggle');
    this.unread = { player: 0, spectator: 0 };
    this.activeRoom = 'player';
    this.myRoom = null;
    this.movesKey = '';
    this.resultKey = '';
    this.armed = null;
    this.bind(root);
  }

  bind(root) {
    this.actions.addEventListener('click', (event) => {
      const button = event.target.closest('[data-action]');
      if (button && !button.disabled) this.clickAction(button);
    });
    this.offers.addEventListener('click', (event) => {
      const button = event.target.closest('[data-offer-action]');
      if (button) this.handlers.onAction(button.dataset.offerAction);
    });
    this.rematchButton.addEventListener('click', () => this.handlers.onAction(this.rematchButton.dataset.rematchAction));
    this.moves.addEventListener('click', (event) => {
      const move = event.target.closest('[data-ply]');
      if (move) this.handlers.onPly(Number(move.dataset.ply));
    });
    this.nav.addEventListener('click', (event) => {
      const button = event.target.closest('[data-nav]');
      if (button) this.handlers.onPly(button.dataset.nav);
    });
    for (const [room, tab] of this.chatTabs) tab.addEventListener('click', () => this.showRoom(room));
    this.chatForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = this.chatForm.elements.message;
      const message = input.value.trim();
      if (message && this.handlers.onChat(message)) input.value = '';
    });
    this.chatForm.elements.message.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') event.target.blur();
    });
    root.querySelector('[data-flip]').addEventListener('click', () => this.handlers.onFlip());
    this.soundToggle.addEventListener('click', () => this.handlers.onMute());
    root.querySelector('[data-reload]').addEventListener('click', () => location.reload());
  }

  // -- top bar ------------------------------------------------------------------------------

  setConnection(status) {
    this.connection.dataset.state = status;
    setText(this.connectionText, CONNECTION_TEXT[status] || status);
    this.reconnectingBanner.hidden = status !== 'reconnecting';
  }

  setRole(text, playing) {
    setText(this.role, text);
    this.role.classList.toggle('is-playing', playing);
  }

  setTimeControl(text) {
    setText(this.tcLabel, text);
  }

  showMuted(muted) {
    this.soundToggle.setAttribute('aria-pressed', String(muted));
    const label = muted ? 'Turn sounds on' : 'Mute sounds';
    this.soundToggle.title = label;
    this.soundToggle.setAttribute('aria-label', label);
  }

  showFatal(message) {
    this.fatalMessage.textContent = message;
    this.fatal.hidden = false;
    this.reconnectingBanner.hidden = true;
  }

  // -- players ------------------------------------------------------------------------------

  /** strips: {top: {...}, bottom: {...}} as PlayerStrip.render takes them */
  renderPlayers(strips) {
    this.strips.top.render(strips.top);
    this.strips.bottom.render(strips.bottom);
  }

  /** display: per colour, what ChessClocks.display gives. */
  renderClocks(display) {
    for (const strip of Object.values(this.strips)) if (display[strip.color]) strip.renderClock(display[strip.color]);
  }

  /** text per colour ({white: 'first move: 12 s'}), or nothing for a colour. */
  showFirstMove(texts) {
    for (const strip of Object.values(this.strips)) strip.showFirstMove(texts[strip.color] || '');
  }

  // -- status and moves ---------------------------------------------------------------------

  setStatus({ text, tone = '' }) {
    setText(this.status, text);
    if (this.status.dataset.tone !== tone) this.status.dataset.tone = tone;
  }

  /**
   * sans: the moves so far; shownPly: the ply on the board (sans.length when live);
   * blackFirst: the game started with black to move.
   */
  renderMoves(sans, shownPly, blackFirst = false, firstMoveNumber = 1) {
    const key = JSON.stringify([sans, shownPly, blackFirst]);
    if (key === this.movesKey) return;
    this.movesKey = key;
    const rows = [];
    const offset = blackFirst ? 1 : 0;
    for (let index = 0; index < sans.length + offset; index += 2) {
      const row = element('li', 'chess-move-row');
      row.append(element('span', 'chess-move-number', `${firstMoveNumber + index / 2}.`));
      for (const slot of [index, index + 1]) {
        const plyIndex = slot - offset; // 0-based index into sans
        if (plyIndex < 0) {
          row.append(element('span', 'chess-move chess-move-empty', '…'));
        } else if (plyIndex < sans.length) {
          const move = element('button', 'chess-move', sans[plyIndex]);
          move.type = 'button';
          move.dataset.ply = String(plyIndex + 1);
          if (plyIndex + 1 === shownPly) {
            move.classList.add('is-active');
            move.setAttribute('aria-current', 'true');
          }
          row.append(move);
        }
      }
      rows.push(row);
    }
    this.moves.replaceChildren(...rows);
    const active = this.moves.querySelector('.is-active');
    if (!active) {
      if (shownPly === sans.length) this.moves.scrollTop = this.moves.scrollHeight;
      return;
    }
    // Keep the shown move in view without scrolling the page itself.
    const top = active.offsetParent === this.moves ? active.offsetTop : active.offsetTop - this.moves.offsetTop;
    const bottom = top + active.offsetHeight;
    if (shownPly === sans.length) this.moves.scrollTop = this.moves.scrollHeight;
    else if (top < this.moves.scrollTop) this.moves.scrollTop = top - 8;
    else if (bottom > this.moves.scrollTop + this.moves.clientHeight) {
      this.moves.scrollTop = bottom - this.moves.clientHeight + 8;
    }
  }

  /** Browsing buttons: which are usable. */
  renderNav({ canBack, canForward, browsing }) {
    for (const button of this.nav.querySelectorAll('[data-nav]')) {
      const back = button.dataset.nav === 'first' || button.dataset.nav === 'prev';
      button.disabled = back ? !canBack : !canForward;
    }
    this.nav.classList.toggle('is-browsing', browsing);
  }

  // -- buttons ------------------------------------------------------------------------------

  /**
   * state: null (no buttons) or {resign: 'abort'|'resign', draw: {label, disabled},
   * takeback: {label, disabled}, moretime: {disabled}, claimDraw: bool, claimVictory: bool}
   */
  renderActions(state) {
    this.actions.hidden = !state;
    if (!state) {
      this.disarm();
      return;
    }
    const button = (name) => this.actions.querySelector(`[data-action="${name}"]`);
    const resign = button('resign');
    if (resign.dataset.intent !== state.resign) {
      resign.dataset.intent = state.resign;
      this.disarm();
    }
    if (!this.armed) setText(resign.querySelector('[data-label]'), state.resign === 'abort' ? 'Abort' : 'Resign');
    for (const name of ['draw', 'takeback']) {
      const node = button(name);
      node.disabled = state[name].disabled;
      setText(node.querySelector('[data-label]'), state[name].label);
    }
    button('moretime').disabled = state.moretime.disabled;
    button('claim_draw').hidden = !state.claimDraw;
    button('claim_victory').hidden = !state.claimVictory;
  }

  clickAction(button) {
    const name = button.dataset.action;
    if (name !== 'resign') {
      this.handlers.onAction(name);
      return;
    }
    // Resigning and aborting take a second click, within a few seconds.
    const intent = button.dataset.intent || 'resign';
    if (this.armed) {
      this.disarm();
      this.handlers.onAction(intent);
      return;
    }
    button.classList.add('is-armed');
    setText(button.querySelector('[data-label]'), intent === 'abort' ? 'Confirm abort?' : 'Confirm resign?');
    this.armed = setTimeout(() => this.disarm(), CONFIRM_MS);
  }

  disarm() {
    if (!this.armed) return;
    clearTimeout(this.armed);
    this.armed = null;
    const button = this.actions.querySelector('[data-action="resign"]');
    button.classList.remove('is-armed');
    setText(button.querySelector('[data-label]'), button.dataset.intent === 'abort' ? 'Abort' : 'Resign');
  }

  /**
   * offers: [{id, kind, text, accept, decline}]. A bar that stays
   * (same id and buttons) keeps its element and only its text changes: no fade-in replayed.
   */
  renderOffers(offers) {
    const kept = new Map([...this.offers.children].map((bar) => [bar.dataset.offerKey, bar]));
    const bars = offers.map((offer) => {
      const key = [offer.id, offer.kind, offer.accept, offer.decline].join('|');
      const bar = kept.get(key) || offerBar(offer, key);
      setText(bar.querySelector('.chess-offer-text'), offer.text);
      return bar;
    });
    for (const bar of kept.values()) if (!bars.includes(bar)) bar.remove();
    // Moves only the bars that are out of place (moving an element restarts its animation).
    bars.forEach((bar, index) => {
      const current = this.offers.children[index];
      if (current !== bar) this.offers.insertBefore(bar, current || null);
    });
  }

  // -- result -------------------------------------------------------------------------------

  /**
   * result: null (hidden) or {score, text, you, youTone, rematch: null | {label, action,
   * disabled, primary}, newOpponentUrl, pgnUrl, rematchUrl}; a null url hides its link.
   */
  renderResult(result) {
    const key = JSON.stringify(result);
    if (key === this.resultKey) return;
    this.resultKey = key;
    this.result.hidden = !result;
    if (!result) return;
    setText(this.resultScore, result.score);
    setText(this.resultText, result.text);
    setText(this.resultYou, result.you || '');
    this.resultYou.hidden = !result.you;
    this.resultYou.dataset.tone = result.youTone || '';
    const rematch = result.rematch;
    this.rematchButton.hidden = !rematch;
    if (rematch) {
      setText(this.rematchButton, rematch.label);
      this.rematchButton.disabled = Boolean(rematch.disabled);
      this.rematchButton.dataset.rematchAction = rematch.action || '';
      this.rematchButton.classList.toggle('button-primary', Boolean(rematch.primary));
    }
    this.newOpponent.hidden = !result.newOpponentUrl;
    if (result.newOpponentUrl) this.newOpponent.href = result.newOpponentUrl;
    this.pgnLink.hidden = !result.pgnUrl;
    if (result.pgnUrl) this.pgnLink.href = result.pgnUrl;
    this.rematchLink.hidden = !result.rematchUrl;
    if (result.rematchUrl) this.rematchLink.href = result.rematchUrl;
  }

  // -- chat ---------------------------------------------------------------------------------

  /** room: where you write ('player' or 'spectator'); that tab opens first. */
  setChatRoom(room) {
    if (this.myRoom === room) return;
    this.myRoom = room;
    this.showRoom(room);
  }

  showRoom(room) {
    this.activeRoom = room;
    for (const name of ROOMS) {
      const tab = this.chatTabs.get(name);
      const active = name === room;
      tab.setAttribute('aria-selected', String(active));
      tab.classList.toggle('is-active', active);
      this.chatLogs.get(name).hidden = !active;
    }
    this.unread[room] = 0;
    this.renderUnread();
    const canWrite = room === this.myRoom;
    const input = this.chatForm.elements.message;
    input.disabled = !canWrite;
    this.chatForm.querySelector('button').disabled = !canWrite;
    input.placeholder = canWrite ? 'Say something…' : room === 'player' ? 'Only the players write here' : 'Only spectators write here';
    const log = this.chatLogs.get(room);
    log.scrollTop = log.scrollHeight;
  }

  renderUnread() {
    for (const name of ROOMS) {
      const badge = this.chatTabs.get(name).querySelector('[data-unread]');
      badge.hidden = this.unread[name] === 0;
      setText(badge, String(this.unread[name]));
    }
  }

  /** line: {room, username, message, isYou, color} */
  addChat({ room, username, message, isYou = false, color = null }) {
    const log = this.chatLogs.get(room === 'spectator' ? 'spectator' : 'player');
    const item = element('li', 'chat-message');
    const name = element('span', 'chat-name', username);
    if (color) name.dataset.color = color;
    if (isYou) name.classList.add('is-you');
    item.append(name, element('span', 'chat-text', message));
    this.appendTo(log, item);
    const logRoom = log.dataset.chatLog;
    if (logRoom !== this.activeRoom) {
      this.unread[logRoom] += 1;
      this.renderUnread();
    }
  }

  /** A game notice, in both rooms. */
  addNotice(text) {
    for (const log of this.chatLogs.values()) this.appendTo(log, element('li', 'chat-notice', text));
  }

  appendTo(log, item) {
    const atBottom = log.hidden || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    while (log.children.length > CHAT_KEEP) log.firstElementChild.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }
}
