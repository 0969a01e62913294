"""Reads about games and the engine."""

from __future__ import annotations

import re
import time

import chess
import chess.pgn
from django.conf import settings

from engine.games import KINDS
from engine.games.chess.clock import TimeControl
from engine.games.effects import Seat
from engine.models import Game
from engine.wire import game_state_message

PGN_RESULTS = {"white_wins": "1-0", "black_wins": "0-1", "draw": "1/2-1/2"}
PGN_TERMINATIONS = {"timeout": "Time forfeit", "abandoned": "Abandoned", "aborted": "Abandoned"}

GAME_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")


def game_get(*, game_id: str) -> Game | None:
    if not GAME_ID_PATTERN.match(game_id or ""):
        return None
    return Game.objects.filter(pk=game_id).first()


def game_seats(*, game: Game) -> list[Seat]:
    return [seat.seat for seat in game.seats.select_related("user").order_by("slot")]


def _chess_summary(game: Game, seats: list[Seat]) -> dict:
    moves = list(game.chess_moves.order_by("ply"))
    starting_ms = TimeControl.parse(game.settings["tc"]).starting_ms
    last = moves[-1] if moves else None
    if game.final_white_ms is not None:
        clock = {"white": game.final_white_ms, "black": game.final_black_ms}
    else:
        # Live, or ended without final clocks saved (older games, engine errors).
        clock = {"white": last.white_ms if last else starting_ms, "black": last.black_ms if last else starting_ms}
    white, black = seats
    return {
        "tc": game.settings["tc"],
        "white": {"username": white.name, "bot": white.bot},
        "black": {"username": black.name, "bot": black.bot},
        "moves": [move.uci for move in moves],
        "sans": [move.san for move in moves],
        "clock": clock,
        "clock_history": [{"white": move.white_ms, "black": move.black_ms} for move in moves],
        "pgn_url": f"/api/games/{game.id}/pgn",
    }


def game_summary(*, game: Game) -> dict:
    rows = list(game.seats.select_related("user").order_by("slot"))
    seats = [row.seat for row in rows]
    winners = [row.slot for row in rows if row.is_winner]
    summary = {
        "id": game.id,
        "game": game.kind,
        "mode": game.mode,
        "status": game.status,
        "reason": game.reason or None,
        "winner": seats[winners[0]].name if winners else None,
        "winner_seats": winners,
        "players": [{"username": seat.name, "bot": seat.bot, "score": row.score} for seat, row in zip(seats, rows, strict=True)],
        "settings": game.settings,
        "result": game.result,
        "created_at": game.created_at.isoformat(),
        "ended_at": game.ended_at.isoformat() if game.ended_at else None,
    }
    if game.kind == Game.Kind.CHESS:
        summary.update(_chess_summary(game, seats))
    return summary


def _winner_as_in_game_end(game: Game, seats: list[Seat], winners: list[int]) -> str | None:
    if not winners:
        return None
    if game.kind == Game.Kind.CHESS:
        return ("white", "black")[winners[0]]
    return seats[winners[0]].name


def _clock_comment(ms: int) -> str:
    seconds = max(0, ms) // 1000
    return f"[%clk {seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}]"


def game_pgn(*, game: Game) -> str:
    """The PGN of a chess game as stored so far: standard tags, the result, a %clk per move."""
    white, black = game_seats(game=game)
    tc = TimeControl.parse(game.settings["tc"])
    pgn = chess.pgn.Game()
    pgn.headers["Event"] = "Kogame casual game"
    pgn.headers["Site"] = "Kogame"
    pgn.headers["Date"] = game.created_at.strftime("%Y.%m.%d")
    pgn.headers["Round"] = "-"
    pgn.headers["White"] = white.name
    pgn.headers["Black"] = black.name
    pgn.headers["Result"] = PGN_RESULTS.get(game.status, "*")
    pgn.headers["UTCDate"] = game.created_at.strftime("%Y.%m.%d")
    pgn.headers["UTCTime"] = game.created_at.strftime("%H:%M:%S")
    pgn.headers["TimeControl"] = f"{tc.initial_ms // 1000}+{tc.increment_ms // 1000}"
    pgn.headers["GameId"] = game.id
    if game.status != Game.Status.STARTED:
        pgn.headers["Termination"] = PGN_TERMINATIONS.get(game.reason, "Normal")
    node: chess.pgn.GameNode = pgn
    for move in game.chess_moves.order_by("ply"):
        node = node.add_variation(chess.Move.from_uci(move.uci))
        node.comment = _clock_comment(move.white_ms if move.ply % 2 == 1 else move.black_ms)
    return str(pgn) + "\n"


def games_live(*, limit: int = 50) -> list[dict]:
    games = Game.objects.filter(status=Game.Status.STARTED).prefetch_related("seats__user").order_by("-created_at")[:limit]
    return [
        {
            "id": game.id,
            "game": game.kind,
            "mode": game.mode,
            "players": [seat.name for seat in game.seats.all()],
            "created_at": game.created_at.isoformat(),
        }
        for game in games
    ]


def finished_game_state(*, game: Game) -> dict:
    """The gameState of a game the engine no longer holds, from what the database kept, built by
    its kind's one state builder."""
    rows = list(game.seats.select_related("user").order_by("slot"))
    seats = [row.seat for row in rows]
    winners = [row.slot for row in rows if row.is_winner]
    saved = game.result or {}
    result = {
        "reason": game.reason or None,
        "winner": _winner_as_in_game_end(game, seats, winners),
        "winner_seats": winners,
        "scores": saved.get("scores", {}),
    }
    return game_state_message(
        v=saved.get("last_v", 0),
        kind=game.kind,
        game_id=game.id,
        mode=game.mode,
        status=game.status,
        result=result,
        body=KINDS[game.kind].finished_state(game, seats),
    )


def engine_health() -> tuple[bool, dict]:
    """Whether the engine has ticked recently, and what it last reported."""
    from engine import runtime

    stats = runtime.heartbeat_reader().read()
    max_age = settings.KOGAME["HEARTBEAT_MAX_AGE_SECONDS"]
    if stats is None:
        return False, {"alive": False, "last_beat_age_s": None}
    age = max(0.0, time.time() - stats["at"])
    alive = age <= max_age
    return alive, {"alive": alive, "last_beat_age_s": round(age, 3), **{k: v for k, v in stats.items() if k != "at"}}
