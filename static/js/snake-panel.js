// Everything on the game page around the canvas: status, scoreboard, chat and overlays.

const CHAT_KEEP = 200;
const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  live: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};
const DEATH_CAUSES = {
  wall: 'hit a wall',
  self: 'ran into itself',
  snake: 'hit another snake',
  head_on: 'crashed head-on',
};
const END_REASONS = {
  last_snake_standing: 'Last snake standing',
  all_died: 'The last snakes crashed together: the highest score wins',
  engine_error: 'The game stopped because of a server error',
  server_restart: 'The server restarted',
};

export function describeDeath(cause) {
  return DEATH_CAUSES[cause] || 'crashed';
}

function describeReason(reason) {
  if (!reason) return '';
  if (END_REASONS[reason]) return END_REASONS[reason];
  const words = reason.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Ticks update the page ten times a second: only touch the DOM when the text really changes.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class GamePanel {
  constructor(root) {
    const find = (name) => root.querySelector(`[data-${name}]`);
    this.connection = find('connection');
    this.connectionText = find('connection-text');
    this.reconnectingBanner = find('reconnecting');
    this.role = find('role');
    this.controlsHint = find('controls-hint');
    this.scoreboard = find('scoreboard');
    this.chatLog = find('chat-log');
    this.countdown = find('countdown');
    this.countdownNumber = find('countdown-number');
    this.join = find('join');
    this.joinTitle = find('join-title');
    this.joinDetail = find('join-detail');
    this.joinButton = find('join-button');
    this.gameOver = find('game-over');
    this.gameOverTitle = find('game-over-title');
    this.gameOverReason = find('game-over-reason');
    this.finalScores = find('final-scores');
    this.fatal = find('fatal');
    this.fatalMessage = find('fatal-message');
    this.scoreboardKey = '';
  }

  setConnection(status) {
    this.connection.dataset.state = status;
    setText(this.connectionText, CONNECTION_TEXT[status] || status);
    this.reconnectingBanner.hidden = status !== 'reconnecting';
  }

  setRole(text, showControlsHint) {
    setText(this.role, text);
    this.controlsHint.hidden = !showControlsHint;
  }

  /** rows: [{username, score, color, isYou, status}], status being free text or '' */
  renderScoreboard(rows) {
    // Rebuild the list only when something shown changed.
    const key = JSON.stringify(rows);
    if (key === this.scoreboardKey) return;
    this.scoreboardKey = key;
    this.scoreboard.replaceChildren(...rows.map(scoreboardRow));
  }

  addChat(username, message, color) {
    const item = element('li', 'chat-message');
    const name = element('span', 'chat-name', username);
    if (color) name.style.color = color;
    item.append(name, element('span', 'chat-text', message));
    this.appendToChat(item);
  }

  addNotice(text) {
    this.appendToChat(element('li', 'chat-notice', text));
  }

  appendToChat(item) {
    const log = this.chatLog;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    while (log.children.length > CHAT_KEEP) log.firstElementChild.remove();
    // Follow new messages, unless the reader scrolled up to read older ones.
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  showCountdown(seconds) {
    this.countdown.hidden = seconds <= 0;
    if (seconds > 0 && this.countdownNumber.textContent !== String(seconds)) {
      this.countdownNumber.textContent = String(seconds);
      // Restart the pop animation for each new number.
      this.countdownNumber.classList.remove('pop');
      void this.countdownNumber.offsetWidth;
      this.countdownNumber.classList.add('pop');
    }
  }

  /** prompt: null (hidden) or {title, detail, button, busy} */
  showJoin(prompt) {
    this.join.hidden = !prompt;
    if (!prompt) return;
    setText(this.joinTitle, prompt.title);
    setText(this.joinDetail, prompt.detail);
    setText(this.joinButton, prompt.busy ? 'Joining…' : prompt.button);
    this.joinButton.disabled = prompt.busy;
  }

  /** result: {status, winner, reason, scores: {name: score}}; you: your username */
  showGameOver(result, you) {
    this.gameOverTitle.textContent = gameOverTitle(result, you);
    this.gameOverReason.textContent = describeReason(result.reason);
    // The winner heads the list even with fewer points (outlasting beats eating).
    const winnerFirst = (name) => (name === result.winner ? 1 : 0);
    const ranking = Object.entries(result.scores || {}).sort(
      ([nameA, a], [nameB, b]) => winnerFirst(nameB) - winnerFirst(nameA) || (b ?? 0) - (a ?? 0),
    );
    this.finalScores.replaceChildren(
      ...ranking.map(([name, score]) => finalScoreRow(name, score, name === result.winner, name === you)),
    );
    this.gameOver.hidden = false;
    this.join.hidden = true;
    this.countdown.hidden = true;
  }

  hideGameOver() {
    this.gameOver.hidden = true;
  }

  showFatal(message) {
    this.fatalMessage.textContent = message;
    this.fatal.hidden = false;
    this.reconnectingBanner.hidden = true;
  }
}

function gameOverTitle(result, you) {
  if (result.winner) return result.winner === you ? 'You win!' : `${result.winner} wins`;
  return result.status === 'finished' ? 'Draw' : 'No winner';
}

function scoreboardRow({ username, score, color, isYou, status }) {
  const row = element('li', 'score-row');
  if (status) row.classList.add('is-out');
  const swatch = element('span', 'swatch');
  if (color) swatch.style.setProperty('--swatch', color);
  const name = element('span', 'score-name', username);
  if (isYou) name.append(element('span', 'you-tag', 'you'));
  const who = element('span', 'score-who');
  who.append(name, element('span', 'score-status', status));
  row.append(swatch, who, element('span', 'score-value', String(score ?? 0)));
  return row;
}

function finalScoreRow(name, score, isWinner, isYou) {
  const row = element('li', isWinner ? 'final-score is-winner' : 'final-score');
  const label = element('span', 'final-name', name);
  if (isYou) label.append(element('span', 'you-tag', 'you'));
  row.append(label, element('span', 'final-value', String(score ?? 0)));
  return row;
}
