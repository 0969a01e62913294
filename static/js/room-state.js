// A private room as its page knows it, from the room socket's messages: pure, no DOM.

export const BOT_LEVELS = ['easy', 'medium', 'hard'];
export const SNAKE_PLAYERS = { min: 2, max: 8 };

// Why the server refused this socket (the error just before close 4003), in words.
const REFUSALS = {
  no_such_room: 'This room does not exist (any more). Rooms close when everyone has left.',
  room_full: 'This room is full.',
  already_in_room: 'You are already in this room, in another tab or window.',
};

export function refusalText(code) {
  return REFUSALS[code] || 'This room does not exist or is full.';
}

export function isRefusal(code) {
  return code in REFUSALS;
}

export function emptyRoom() {
  return { owner: null, isOwner: false, players: [], settings: null };
}

/** The room after `message`; messages that do not change the room return it as it was. */
export function applyRoomMessage(room, message) {
  switch (message.type) {
    case 'joined':
    case 'player_left':
      return { ...room, owner: message.owner, isOwner: message.is_owner, players: message.players };
    case 'ready_status':
      return {
        ...room,
        owner: message.owner,
        isOwner: message.is_owner,
        players: room.players.map((player) =>
          player.username === message.user ? { ...player, ready_to_play: message.is_ready } : player,
        ),
      };
    case 'settings_changed': {
      const { type: _type, ...settings } = message;
      return { ...room, settings };
    }
    default:
      return room;
  }
}

/** The member list to show: [{username, ready, host, you}], oldest member first. */
export function memberRows(room, me) {
  return room.players.map((player) => ({
    username: player.username,
    ready: player.ready_to_play,
    host: player.username === room.owner,
    you: player.username === me,
  }));
}

export function isReady(room, me) {
  return room.players.some((player) => player.username === me && player.ready_to_play);
}

/** Bots take the seats up to target_players that no member holds. */
export function botSeats(room) {
  if (!room.settings) return 0;
  return Math.max(0, room.settings.target_players - room.players.length);
}

/** What the Start button shows: {visible, enabled, hint}. Only the host sees it. */
export function startState(room) {
  const waiting = room.players.filter((player) => !player.ready_to_play).map((player) => player.username);
  const everyoneReady = room.players.length > 0 && waiting.length === 0;
  let hint;
  if (waiting.length > 0) hint = `Waiting for ${waiting.join(', ')} to get ready`;
  else if (room.isOwner) hint = 'Everyone is ready: start when you like';
  else hint = `Everyone is ready: waiting for ${room.owner || 'the host'} to start`;
  return { visible: room.isOwner, enabled: room.isOwner && everyoneReady, hint };
}

/** "2 of 4 players · 2 bots (medium) fill the empty seats". */
export function seatsText(room) {
  if (!room.settings) return '';
  const { target_players: target, bot_level: level } = room.settings;
  const players = `${room.players.length} of ${target} players`;
  const bots = botSeats(room);
  if (bots === 0) return players;
  return `${players} · ${bots} ${bots === 1 ? 'bot' : 'bots'} (${level}) fill the empty ${bots === 1 ? 'seat' : 'seats'}`;
}

/** The choices for target_players: Snake 2 to 8, never below the players present; chess 2. */
export function playerCountChoices(room) {
  if (room.settings?.game === 'chess') return [2];
  const lowest = Math.max(SNAKE_PLAYERS.min, room.players.length);
  const choices = [];
  for (let count = lowest; count <= SNAKE_PLAYERS.max; count += 1) choices.push(count);
  return choices;
}

// The lobby's chess time controls, offered for rooms too.
export const TIME_CONTROLS = ['0.25+0', '1+0', '2+1', '3+0', '3+2', '5+0', '5+3', '10+0', '10+5', '15+10', '30+0'];

/** The time controls to offer, with the room's own first when it is not a usual one (a script set it). */
export function timeControlChoices(current) {
  return current && !TIME_CONTROLS.includes(current) ? [current, ...TIME_CONTROLS] : TIME_CONTROLS;
}
