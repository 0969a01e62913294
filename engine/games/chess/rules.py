"""Chess games with Lichess-style clocks and game flow, on top of python-chess.

Pure game logic: no I/O, no framework, no wall clock. Every function that depends on time
takes `now`, monotonic seconds supplied by the caller. The engine calls `handle` for each
player intent, `on_tick` regularly (flags fall and unplayed games abort without anyone
acting) and `set_presence` when a player's connection state changes.

Flow, as on Lichess:
- No clock runs for the game's first two plies. The second ply starts the clock of the side
  to move; from the third ply on, each move charges the mover (minus lag compensation) and
  adds the increment. Until then each side has `tc.first_move_timeout_ms` to make its first
  move, or the game is aborted.
- A game can be aborted by either player until both sides have moved.
- Threefold repetition and the fifty-move rule are draws only when claimed; checkmate,
  stalemate, insufficient material, fivefold repetition and the seventy-five-move rule end
  the game automatically.

Every end of the game makes `handle` or `on_tick` return a final {"type": "gameEnd", ...}
event, exactly once. Refused intents raise ChessError and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import chess

from engine.games.chess.clock import COLORS, ChessClock, TimeControl

# Time `moretime` gives the opponent.
MORETIME_MS = 15_000
# How long a player must have been disconnected before the opponent may claim the game.
DISCONNECT_CLAIM_MS = 30_000

# Both sides have moved once: the clock starts and the game can no longer be aborted.
_PLIES_BEFORE_CLOCK = 2

_CHESS_COLOR = {"white": chess.WHITE, "black": chess.BLACK}

_AUTOMATIC_END_REASONS = {
    chess.Termination.CHECKMATE: "checkmate",
    chess.Termination.STALEMATE: "stalemate",
    chess.Termination.INSUFFICIENT_MATERIAL: "insufficient_material",
    chess.Termination.SEVENTYFIVE_MOVES: "seventyfive_moves",
    chess.Termination.FIVEFOLD_REPETITION: "fivefold_repetition",
}


class ChessError(Exception):
    """A refused intent. `code` is a short snake_case identifier, `message` is for humans."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or code.replace("_", " ")
        super().__init__(self.message)


@dataclass
class MoveRecord:
    ply: int  # 1-based, counted from the game's first move
    uci: str
    san: str
    color: str  # who played it
    clock_after: dict[str, int]  # {"white": ms, "black": ms} right after the move
    spent_ms: int  # time charged for it: 0 before the clocks run


@dataclass
class ChessGame:
    white: str
    black: str
    tc: TimeControl
    board: chess.Board
    clock: ChessClock
    created_at: float
    # When the side to move got the move; only the first-move abort looks at it.
    turn_started_at: float
    status: str = "started"  # "started", "white_wins", "black_wins", "draw", "aborted"
    reason: str | None = None
    winner: str | None = None  # "white" / "black" when someone won
    # Both sides' remaining ms when the game ended, e.g. 0 for the side that lost on time.
    final_clock: dict[str, int] | None = None
    moves: list[MoveRecord] = field(default_factory=list)
    # Pending offers, by color of the offering side.
    draw_offer: str | None = None
    takeback_offer: str | None = None
    rematch_offer: str | None = None
    rematch_accepted: bool = False
    # Color -> `now` when that player's last connection left (absent while connected).
    disconnected_since: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- public API


def new_game(
    *, white: str, black: str, tc: TimeControl, now: float, fen: str | None = None
) -> ChessGame:
    """A started game between two distinct players, from the standard position or `fen`.

    Raises ValueError for invalid players, an invalid FEN or a position that is already over.
    """
    for name in (white, black):
        if not isinstance(name, str) or not name:
            raise ValueError(f"player names must be non-empty strings, got {name!r}")
    if white == black:
        raise ValueError("a player cannot play against themselves")
    board = chess.Board() if fen is None else chess.Board(fen)
    if not board.is_valid():
        raise ValueError(f"illegal position: {fen}")
    if board.outcome() is not None:
        raise ValueError(f"the position is already over: {fen}")
    return ChessGame(
        white=white,
        black=black,
        tc=tc,
        board=board,
        clock=ChessClock(tc),
        created_at=now,
        turn_started_at=now,
    )


def resume_game(
    *, white: str, black: str, tc: TimeControl, moves: list[tuple[str, int, int, int]], now: float
) -> ChessGame:
    """A started game rebuilt from its saved moves, (uci, white_ms, black_ms, spent_ms) each,
    after the engine restarted. The clocks resume from the last saved figures at `now`: the side
    to move is not charged for the time the server was down, and a side that has not made its
    first move gets its full first-move time again.

    Raises ValueError if a saved move is not legal in its position.
    """
    game = new_game(white=white, black=black, tc=tc, now=now)
    for ply, (uci, white_ms, black_ms, spent_ms) in enumerate(moves, start=1):
        color = _turn(game)
        move = chess.Move.from_uci(uci)
        if move not in game.board.legal_moves:
            raise ValueError(f"saved move {ply} ({uci}) is not legal")
        san = game.board.san(move)
        game.board.push(move)
        clock_after = {"white": white_ms, "black": black_ms}
        game.moves.append(MoveRecord(ply=ply, uci=uci, san=san, color=color, clock_after=clock_after, spent_ms=spent_ms))
        game.clock.white_ms, game.clock.black_ms = white_ms, black_ms
    if len(game.moves) >= _PLIES_BEFORE_CLOCK:
        game.clock.start(_turn(game), now)
    return game


def finished_game(
    *,
    white: str,
    black: str,
    tc: TimeControl,
    moves: list[tuple[str, int, int, int]],
    status: str,
    reason: str | None,
    winner: str | None,
    final_clock: dict[str, int],
) -> ChessGame:
    """A game that ended, rebuilt from its saved moves and result: for showing it, not playing."""
    game = resume_game(white=white, black=black, tc=tc, moves=moves, now=0.0)
    game.clock.stop(0.0)
    game.clock.white_ms, game.clock.black_ms = final_clock["white"], final_clock["black"]
    game.status, game.reason, game.winner = status, reason, winner
    game.final_clock = dict(final_clock)
    return game


def hold_first_move_timer(game: ChessGame, now: float) -> None:
    """Restarts the side to move's first-move time at `now` (the players are still arriving);
    once both sides have moved there is none to hold."""
    if len(game.moves) < _PLIES_BEFORE_CLOCK:
        game.turn_started_at = now


def side_to_move(game: ChessGame) -> str:
    return _turn(game)


def color_of(game: ChessGame, username: str) -> str | None:
    if username == game.white:
        return "white"
    if username == game.black:
        return "black"
    return None


def handle(game: ChessGame, username: str, intent: dict, now: float, lag_ms: int = 0) -> list[dict]:
    """Apply one player intent at `now` and return its events (a gameEnd event comes last).

    Raises ChessError, changing nothing, when the intent is refused.

    Time is checked before the intent: if at `now` the running side has flagged (its flag
    grace included, see chess_clock.MAX_FLAG_GRACE_MS), or a first move is overdue, the game
    ends exactly as on_tick would have ended it, the intent is dropped (it came too late) and
    the events of that end are returned. A move that arrives within the grace counts if its
    lag compensation brings its time under the mover's remaining time; otherwise it loses on
    time and is not played.
    """
    kind = intent.get("type") if isinstance(intent, dict) else None
    if not isinstance(kind, str) or (kind != "move" and kind not in _ACTIONS):
        raise ChessError("unknown_intent", f"unknown intent type {kind!r}")
    color = color_of(game, username)
    if color is None:
        raise ChessError("not_a_player", "you are not playing this game")
    if game.status == "started":
        ended = _check_time(game, now)
        if ended:
            return ended
    elif kind not in AFTER_GAME_INTENTS:
        raise ChessError("game_over", "the game is over")
    if kind == "move":
        return _move(game, color, intent.get("uci"), now, lag_ms)
    return _ACTIONS[kind](game, color, now)


def on_tick(game: ChessGame, now: float) -> list[dict]:
    """Ends the game on a flag fall or an overdue first move; returns its events."""
    if game.status != "started":
        return []
    return _check_time(game, now)


def set_presence(game: ChessGame, username: str, connected: bool, now: float) -> None:
    """Record that a player's last connection left (or that one came back). Spectators are
    ignored, so the engine may call this for anyone."""
    color = color_of(game, username)
    if color is None:
        return
    if connected:
        game.disconnected_since.pop(color, None)
    else:
        # Keep the earliest time: a repeated "left" must not restart the claim countdown.
        game.disconnected_since.setdefault(color, now)


def snapshot(game: ChessGame, now: float) -> dict:
    """JSON-ready full state, for (re)connecting clients and spectators."""
    board = game.board
    started = game.status == "started"
    return {
        "initial_fen": board.root().fen(),
        "fen": board.fen(),
        "moves": [record.uci for record in game.moves],
        "sans": [record.san for record in game.moves],
        "white": {"username": game.white, "connected": "white" not in game.disconnected_since},
        "black": {"username": game.black, "connected": "black" not in game.disconnected_since},
        "turn": _turn(game),
        "status": game.status,
        "reason": game.reason,
        "clock": game.clock.snapshot(now),
        "tc": game.tc.label,
        "ply": len(game.moves),
        "first_move_ms_left": _first_move_ms_left(game, now) if started else None,
        "draw_offer": game.draw_offer,
        "takeback_offer": game.takeback_offer,
        "rematch_offer": game.rematch_offer,
        "legal_moves": [move.uci() for move in board.legal_moves] if started else [],
        "check": board.is_check(),
        "last_move": game.moves[-1].uci if game.moves else None,
        "clock_history": [dict(record.clock_after) for record in game.moves],
    }


def result(game: ChessGame) -> dict | None:
    if game.status == "started":
        return None
    assert game.final_clock is not None  # _end() sets it with the status
    return {"status": game.status, "reason": game.reason, "winner": game.winner, "clock": dict(game.final_clock)}


# --------------------------------------------------------------------------- moves


def _move(game: ChessGame, color: str, uci: object, now: float, lag_ms: int) -> list[dict]:
    if color != _turn(game):
        raise ChessError("not_your_turn", "it is not your turn")
    board = game.board
    # Matching the exact text against the legal moves rejects malformed UCI, a promotion
    # without its suffix and non-canonical spellings (e.g. castling as king-takes-rook) alike.
    move = next((legal for legal in board.legal_moves if legal.uci() == uci), None)
    if move is None:
        raise ChessError("illegal_move", f"illegal move {uci!r}")

    ply = len(game.moves) + 1
    # Arrived within the flag grace, but its lag compensation does not cover the overrun: as in
    # lila (scalachess Clock.step stops the clock, the round ends Flagged), it is not played.
    if ply > _PLIES_BEFORE_CLOCK and not game.clock.move_in_time(color, now, lag_ms):
        return [_time_forfeit(game, color, now)]
    spent_ms = lag_comp_ms = 0
    if ply == _PLIES_BEFORE_CLOCK:
        game.clock.start(_other(color), now)
    elif ply > _PLIES_BEFORE_CLOCK:
        elapsed_ms = game.clock.elapsed_ms(now)
        spent_ms = game.clock.press(color, now, lag_ms)
        lag_comp_ms = elapsed_ms - spent_ms

    san = board.san(move)
    board.push(move)
    game.moves.append(
        MoveRecord(
            ply=ply,
            uci=move.uci(),
            san=san,
            color=color,
            clock_after=_clock_pair(game, now),
            spent_ms=spent_ms,
        )
    )
    game.turn_started_at = now

    # A move answers the opponent's pending offers with "no"; the mover's own draw offer
    # stays up for the opponent to answer (a Lichess player offers and moves in one go).
    declined = []
    if game.draw_offer == _other(color):
        game.draw_offer = None
        declined.append({"type": "drawDeclined", "by": color})
    if game.takeback_offer is not None:
        # Cleared whoever offered: the moves it would undo are not the same any more.
        game.takeback_offer = None
        declined.append({"type": "takebackDeclined", "by": color})

    outcome = board.outcome()
    end = None
    if outcome is not None:
        winner = None if outcome.winner is None else _color_name(outcome.winner)
        end = _end(game, winner, _AUTOMATIC_END_REASONS[outcome.termination], now)

    move_event = {
        "type": "move",
        "uci": move.uci(),
        "san": san,
        "fen": board.fen(),
        "ply": ply,
        "player": color,
        "clock": game.clock.snapshot(now),
        "lag_comp_ms": lag_comp_ms,
    }
    return [move_event, *declined, *([end] if end else [])]


# --------------------------------------------------------------------------- other intents


def _resign(game: ChessGame, color: str, now: float) -> list[dict]:
    # Allowed at any time, even before the first move: resigning is always the player's call.
    return [_end(game, _other(color), "resignation", now)]


def _abort(game: ChessGame, color: str, now: float) -> list[dict]:
    if len(game.moves) >= _PLIES_BEFORE_CLOCK:
        raise ChessError("too_late_to_abort", "both sides have moved: the game can no longer be aborted")
    return [_end(game, None, "aborted", now, status="aborted")]


def _draw_offer(game: ChessGame, color: str, now: float) -> list[dict]:
    if game.draw_offer == color:
        raise ChessError("already_offered", "you already offered a draw")
    if game.draw_offer == _other(color):
        return _draw_accept(game, color, now)  # both want a draw
    game.draw_offer = color
    return [{"type": "drawOffer", "by": color}]


def _draw_accept(game: ChessGame, color: str, now: float) -> list[dict]:
    if game.draw_offer != _other(color):
        raise ChessError("nothing_to_accept", "your opponent has not offered a draw")
    return [_end(game, None, "agreement", now)]


def _draw_decline(game: ChessGame, color: str, now: float) -> list[dict]:
    if game.draw_offer != _other(color):
        raise ChessError("nothing_to_decline", "your opponent has not offered a draw")
    game.draw_offer = None
    return [{"type": "drawDeclined", "by": color}]


def _moretime(game: ChessGame, color: str, now: float) -> list[dict]:
    opponent = _other(color)
    game.clock.add_ms(opponent, MORETIME_MS, now)
    return [{"type": "moretime", "to": opponent, "ms": MORETIME_MS, "clock": game.clock.snapshot(now)}]


def _takeback_offer(game: ChessGame, color: str, now: float) -> list[dict]:
    if game.takeback_offer == color:
        raise ChessError("already_offered", "you already proposed a takeback")
    if game.takeback_offer == _other(color):
        return _takeback_accept(game, color, now)  # both want it
    _plies_to_take_back(game, color)  # refuses now rather than when the opponent accepts
    game.takeback_offer = color
    return [{"type": "takebackOffer", "by": color}]


def _takeback_accept(game: ChessGame, color: str, now: float) -> list[dict]:
    offerer = _other(color)
    if game.takeback_offer != offerer:
        raise ChessError("nothing_to_accept", "your opponent has not proposed a takeback")
    for _ in range(_plies_to_take_back(game, offerer)):
        game.board.pop()
        game.moves.pop()
    game.takeback_offer = None
    game.turn_started_at = now
    # Clocks are not rewound (as on Lichess): both keep their current time, and the side now
    # to move runs, unless the game went back to before the clocks start.
    if len(game.moves) >= _PLIES_BEFORE_CLOCK:
        game.clock.start(_turn(game), now)
    else:
        game.clock.stop(now)
    return [
        {
            "type": "takeback",
            "fen": game.board.fen(),
            "moves": [record.uci for record in game.moves],
            "ply": len(game.moves),
            "clock": game.clock.snapshot(now),
        }
    ]


def _takeback_decline(game: ChessGame, color: str, now: float) -> list[dict]:
    if game.takeback_offer != _other(color):
        raise ChessError("nothing_to_decline", "your opponent has not proposed a takeback")
    game.takeback_offer = None
    return [{"type": "takebackDeclined", "by": color}]


def _plies_to_take_back(game: ChessGame, offerer: str) -> int:
    """The offerer's last move, plus the opponent's reply when the opponent moved last."""
    plies = 1 if game.moves and game.moves[-1].color == offerer else 2
    if len(game.moves) < plies:
        raise ChessError("nothing_to_take_back", "you have no move to take back")
    return plies


def _rematch_offer(game: ChessGame, color: str, now: float) -> list[dict]:
    _check_rematch_possible(game)
    if game.rematch_offer == color:
        raise ChessError("already_offered", "you already offered a rematch")
    if game.rematch_offer == _other(color):
        return _rematch_accept(game, color, now)  # both want it
    game.rematch_offer = color
    return [{"type": "rematchOffer", "by": color}]


def _rematch_accept(game: ChessGame, color: str, now: float) -> list[dict]:
    _check_rematch_possible(game)
    if game.rematch_offer != _other(color):
        raise ChessError("nothing_to_accept", "your opponent has not offered a rematch")
    game.rematch_offer = None
    game.rematch_accepted = True
    return [{"type": "rematch", "white": game.black, "black": game.white, "tc": game.tc.label}]


def _check_rematch_possible(game: ChessGame) -> None:
    if game.status == "started":
        raise ChessError("game_not_over", "a rematch can only be offered once the game is over")
    if game.rematch_accepted:
        raise ChessError("already_rematched", "the rematch has already been agreed")


def _claim_draw(game: ChessGame, color: str, now: float) -> list[dict]:
    # Either player may claim; the position is what it is, whoever is to move.
    if game.board.is_repetition(3):
        reason = "threefold_repetition"
    elif game.board.is_fifty_moves():
        reason = "fifty_moves"
    elif len(game.moves) >= _PLIES_BEFORE_CLOCK and _gone_long_enough(game, _other(color), now):
        reason = "abandoned"
    else:
        raise ChessError("nothing_to_claim", "there is no draw to claim")
    return [_end(game, None, reason, now)]


def _claim_victory(game: ChessGame, color: str, now: float) -> list[dict]:
    opponent = _other(color)
    # Before both sides moved, a vanished opponent means an aborted game, not a win.
    if len(game.moves) < _PLIES_BEFORE_CLOCK:
        raise ChessError("use_abort", "the game can still be aborted")
    if opponent not in game.disconnected_since:
        raise ChessError("opponent_connected", "your opponent is connected")
    if not _gone_long_enough(game, opponent, now):
        raise ChessError("too_early", "your opponent left too recently")
    return [_end(game, color, "abandoned", now)]


def _gone_long_enough(game: ChessGame, color: str, now: float) -> bool:
    since = game.disconnected_since.get(color)
    return since is not None and _ms_between(since, now) >= DISCONNECT_CLAIM_MS


_ACTIONS = {
    "resign": _resign,
    "abort": _abort,
    "draw_offer": _draw_offer,
    "draw_accept": _draw_accept,
    "draw_decline": _draw_decline,
    "moretime": _moretime,
    "takeback_offer": _takeback_offer,
    "takeback_accept": _takeback_accept,
    "takeback_decline": _takeback_decline,
    "rematch_offer": _rematch_offer,
    "rematch_accept": _rematch_accept,
    "claim_draw": _claim_draw,
    "claim_victory": _claim_victory,
}
# The intents a player can send: every action above and "move". The last two still count after the end.
INTENTS = frozenset({"move", *_ACTIONS})
AFTER_GAME_INTENTS = frozenset({"rematch_offer", "rematch_accept"})


# --------------------------------------------------------------------------- game end


def _check_time(game: ChessGame, now: float) -> list[dict]:
    """End the started game if a flag has fallen or a first move is overdue at `now`."""
    flagged = game.clock.flagged(now)
    if flagged is not None:
        return [_time_forfeit(game, flagged, now)]
    if len(game.moves) < _PLIES_BEFORE_CLOCK and _first_move_ms_left(game, now) == 0:
        return [_end(game, None, "aborted", now, status="aborted")]
    return []


def _time_forfeit(game: ChessGame, flagged: str, now: float) -> dict:
    """End the game lost on time by `flagged`; return its gameEnd event."""
    winner = _other(flagged)
    # FIDE/Lichess: running out of time is a draw when the opponent could never mate.
    if game.board.has_insufficient_material(_CHESS_COLOR[winner]):
        return _end(game, None, "timeout", now)
    return _end(game, winner, "timeout", now)


def abort(game: ChessGame, reason: str, now: float) -> None:
    """The server ends the game itself (for example its code failed): the clocks stop here."""
    if game.status == "started":
        _end(game, None, reason, now, status="aborted")


def _end(
    game: ChessGame, winner: str | None, reason: str, now: float, *, status: str | None = None
) -> dict:
    """Finish the game and return its gameEnd event."""
    game.status = status or (f"{winner}_wins" if winner else "draw")
    game.reason = reason
    game.winner = winner
    game.draw_offer = None
    game.takeback_offer = None
    game.clock.stop(now)
    game.final_clock = _clock_pair(game, now)
    return {"type": "gameEnd", "status": game.status, "reason": reason, "winner": winner}


# --------------------------------------------------------------------------- helpers


def _first_move_ms_left(game: ChessGame, now: float) -> int | None:
    """Time left for the side to move to make its first move; None once both have moved."""
    if len(game.moves) >= _PLIES_BEFORE_CLOCK:
        return None
    return max(0, game.tc.first_move_timeout_ms - _ms_between(game.turn_started_at, now))


def _ms_between(start: float, now: float) -> int:
    return max(0, round((now - start) * 1000))


def _clock_pair(game: ChessGame, now: float) -> dict[str, int]:
    return {color: game.clock.remaining_ms(color, now) for color in COLORS}


def _turn(game: ChessGame) -> str:
    return _color_name(game.board.turn)


def _color_name(side: chess.Color) -> str:
    return "white" if side == chess.WHITE else "black"


def _other(color: str) -> str:
    return "black" if color == "white" else "white"
