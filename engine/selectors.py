"""Reads about games and the engine."""

from __future__ import annotations

import re
import time

import chess
import chess.pgn
from django.conf import settings

from engine.models import Game
from engine.rules.chess_clock import TimeControl

PGN_RESULTS = {"white_wins": "1-0", "black_wins": "0-1", "draw": "1/2-1/2"}
PGN_TERMINATIONS = {"timeout": "Time forfeit", "abandoned": "Abandoned", "aborted": "Abandoned"}

GAME_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")


def game_get(*, game_id: str) -> Game | None:
    if not GAME_ID_PATTERN.match(game_id or ""):
        return None
    return Game.objects.filter(pk=game_id).first()


def game_usernames(*, game: Game) -> list[str]:
    return list(game.seats.order_by("slot").values_list("user__username", flat=True))


def _chess_summary(game: Game, usernames: list[str]) -> dict:
    moves = list(game.chess_moves.order_by("ply"))
    starting_ms = TimeControl.parse(game.settings["tc"]).starting_ms
    last = moves[-1] if moves else None
    if game.final_white_ms is not None:
        clock = {"white": game.final_white_ms, "black": game.final_black_ms}
    else:
        # Live, or ended without final clocks saved (older games, engine errors).
        clock = {"white": last.white_ms if last else starting_ms, "black": last.black_ms if last else starting_ms}
    return {
        "tc": game.settings["tc"],
        "white": {"username": usernames[0]},
        "black": {"username": usernames[1]},
        "moves": [move.uci for move in moves],
        "sans": [move.san for move in moves],
        "clock": clock,
        "clock_history": [{"white": move.white_ms, "black": move.black_ms} for move in moves],
        "pgn_url": f"/api/games/{game.id}/pgn",
    }


def game_summary(*, game: Game) -> dict:
    seats = list(game.seats.select_related("user").order_by("slot"))
    summary = {
        "id": game.id,
        "game": game.kind,
        "mode": game.mode,
        "status": game.status,
        "reason": game.reason or None,
        "winner": game.winner.username if game.winner_id else None,  # type: ignore[union-attr]  # winner_id set: a winner
        "players": [{"username": seat.user.username, "score": seat.score} for seat in seats],
        "settings": game.settings,
        "result": game.result,
        "created_at": game.created_at.isoformat(),
        "ended_at": game.ended_at.isoformat() if game.ended_at else None,
    }
    if game.kind == Game.Kind.CHESS:
        summary.update(_chess_summary(game, [seat.user.username for seat in seats]))
    return summary


def _clock_comment(ms: int) -> str:
    seconds = max(0, ms) // 1000
    return f"[%clk {seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}]"


def game_pgn(*, game: Game) -> str:
    """The PGN of a chess game as stored so far: standard tags, the result, a %clk per move."""
    usernames = game_usernames(game=game)
    tc = TimeControl.parse(game.settings["tc"])
    pgn = chess.pgn.Game()
    pgn.headers["Event"] = "Kogame casual game"
    pgn.headers["Site"] = "Kogame"
    pgn.headers["Date"] = game.created_at.strftime("%Y.%m.%d")
    pgn.headers["Round"] = "-"
    pgn.headers["White"] = usernames[0]
    pgn.headers["Black"] = usernames[1]
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
            "players": [seat.user.username for seat in game.seats.all()],
            "created_at": game.created_at.isoformat(),
        }
        for game in games
    ]


def finished_game_state(*, game: Game) -> dict:
    """The gameState of a game the engine no longer holds, from what the database kept."""
    summary = game_summary(game=game)
    result = game.result or {}
    state = {
        "type": "gameState",
        "v": result.get("last_v", 0),
        "game": game.kind,
        "game_id": game.id,
        "mode": game.mode,
        "status": game.status,
        "players": summary["players"],
        "result": {"reason": summary["reason"], "winner": summary["winner"], "scores": result.get("scores", {})},
        "settings": game.settings,
    }
    if game.kind == Game.Kind.CHESS:
        board = chess.Board()
        for uci in summary["moves"]:
            board.push_uci(uci)
        # In chess the winner is a colour, as in gameEnd.
        colours = {summary["white"]["username"]: "white", summary["black"]["username"]: "black"}
        state["result"]["winner"] = colours.get(summary["winner"])
        state.update(
            {
                "fen": board.fen(),
                "moves": summary["moves"],
                "sans": summary["sans"],
                "white": summary["white"],
                "black": summary["black"],
                "turn": "white" if board.turn == chess.WHITE else "black",
                "reason": summary["reason"],
                "clock": {**summary["clock"], "running": None},
                "clock_history": summary["clock_history"],
                "tc": summary["tc"],
                "ply": len(summary["moves"]),
                "legal_moves": [],
                "last_move": summary["moves"][-1] if summary["moves"] else None,
            }
        )
    return state


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
