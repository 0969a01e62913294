"""Chess bots thinking off the engine's tick thread: the engine asks for a move, a worker thread
thinks, and the move comes back through the engine's `submit` as an "engine.bot_move" message.

Stockfish thinks in its own process, so a worker thread only waits on it (one Stockfish per
thread and level: a SimpleEngine plays one move at a time). The built-in bots are pure Python
and would hold this process' GIL while they search, delaying the tick: they think in a process
pool instead, and a worker thread waits on the result.

A failing bot never stops the runner: it is logged and counted, and the move comes from the
built-in easy bot (a random legal move, microseconds of work) so the game goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import chess
import chess.engine

from engine.games.chess.bots import LEVELS, ChessBot, stockfish_path, think_ms_for
from engine.games.chess.builtin import builtin_bot
from engine.games.chess.stockfish import StockfishBot

logger = logging.getLogger(__name__)

BOT_MOVE = "engine.bot_move"
ENGINE_KINDS = ("auto", "stockfish", "builtin")
# Jobs waiting for a thread, all games together; a bot asked more often than this is stuck anyway.
QUEUE_LIMIT = 1_000
# How long past its budget a built-in move may take in the pool: a new pool worker is a fresh
# interpreter importing python-chess first (about 0.3 s, more on a busy machine).
_POOL_GRACE_S = 5.0
# Longest a worker thread can be busy with one job: a Stockfish start (10 s) or a 2 s move.
_CLOSE_TIMEOUT_S = 15.0


def builtin_move_uci(fen: str, level: str, think_ms: int) -> str:
    """The built-in bot's move in UCI notation; runs in a pool process."""
    return builtin_bot(level).choose_move(chess.Board(fen), think_ms=think_ms).uci()


@dataclass(frozen=True)
class _Job:
    game_id: str
    seat: str
    level: str
    fen: str
    ply: int
    think_ms: int


class ChessBotRunner:
    """Computes bot moves in `max_threads` worker threads and hands each to `submit`.

    `engine_kind`: "stockfish" (raises RuntimeError if it is not installed), "builtin", or "auto"
    (Stockfish when installed). If Stockfish does not start, the runner logs it and plays the
    built-in bots from then on.
    """

    def __init__(
        self,
        submit: Callable[[dict], bool],
        *,
        max_threads: int = 4,
        engine_kind: str = "auto",
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        if engine_kind not in ENGINE_KINDS:
            raise ValueError(f"unknown engine kind {engine_kind!r}, expected one of {', '.join(ENGINE_KINDS)}")
        self._stockfish_path = None if engine_kind == "builtin" else stockfish_path()
        if engine_kind == "stockfish" and self._stockfish_path is None:
            raise RuntimeError("Stockfish is not installed")
        self._submit = submit
        self._max_threads = max_threads
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_limit)
        self._lock = threading.Lock()  # guards the counts, _closed and _pool
        self._counts = {"requested": 0, "answered": 0, "dropped": 0, "failed": 0}
        self._closed = False
        self._pool: ProcessPoolExecutor | None = None  # started by the first built-in move
        self._threads = [
            threading.Thread(target=self._work, name=f"chess-bot-runner-{number}", daemon=True)
            for number in range(max_threads)
        ]
        for thread in self._threads:
            thread.start()

    def request(self, *, game_id: str, seat: str, level: str, fen: str, ply: int, remaining_ms: int, increment_ms: int) -> None:
        """Queues a move for the side to move in `fen` and returns at once; the answer carries
        `ply` so a stale one can be recognised. Raises ValueError for an unknown level."""
        if level not in LEVELS:
            raise ValueError(f"unknown bot level {level!r}, expected one of {', '.join(LEVELS)}")
        job = _Job(game_id, seat, level, fen, ply, think_ms_for(remaining_ms, increment_ms))
        with self._lock:
            self._counts["requested"] += 1
            try:
                if self._closed:
                    raise queue.Full
                self._jobs.put_nowait(job)
                return
            except queue.Full:
                self._counts["dropped"] += 1
        logger.warning(
            "bot move for game %s ply %d dropped: the runner is full or closed",
            game_id,
            ply,
            extra={"game_id": game_id},
        )

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        """Drops queued jobs, lets running ones finish, then stops the threads (each quits its
        Stockfish processes) and the process pool. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._jobs.put(None)  # no job follows once closed: room is made as threads take these
        for thread in self._threads:
            thread.join(_CLOSE_TIMEOUT_S)
            if thread.is_alive():
                logger.error("%s did not stop within %.0f s", thread.name, _CLOSE_TIMEOUT_S)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    # -- worker threads -------------------------------------------------------------------------

    def _work(self) -> None:
        stockfish_bots: dict[str, ChessBot] = {}  # this thread's, by level
        fallback = builtin_bot("easy")
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    self._answer(job, stockfish_bots, fallback)
                except Exception:  # e.g. from `submit`: this thread must live on for the next jobs
                    logger.exception("bot move for game %s ply %d failed", job.game_id, job.ply, extra={"game_id": job.game_id})
                    self._count("failed")
        finally:
            for bot in stockfish_bots.values():
                bot.close()

    def _answer(self, job: _Job, stockfish_bots: dict[str, ChessBot], fallback: ChessBot) -> None:
        try:
            board = chess.Board(job.fen)
        except ValueError:
            logger.error(
                "bot move for game %s ply %d: invalid FEN %r",
                job.game_id,
                job.ply,
                job.fen,
                extra={"game_id": job.game_id},
            )
            self._count("failed")
            return
        if not any(board.generate_legal_moves()):
            logger.error(
                "bot move for game %s ply %d: no legal move in %s",
                job.game_id,
                job.ply,
                job.fen,
                extra={"game_id": job.game_id},
            )
            self._count("failed")
            return
        try:
            move = self._think(board, job, stockfish_bots)
        except Exception:
            logger.exception(
                "%s bot failed in game %s ply %d; playing a random move",
                job.level,
                job.game_id,
                job.ply,
                extra={"game_id": job.game_id},
            )
            self._count("failed")
            move = fallback.choose_move(board, think_ms=job.think_ms)
        answer = {"type": BOT_MOVE, "game_id": job.game_id, "seat": job.seat, "ply": job.ply, "uci": move.uci()}
        if self._submit(answer):
            self._count("answered")
        else:
            logger.warning(
                "bot move for game %s ply %d dropped: the engine's inbox is full",
                job.game_id,
                job.ply,
                extra={"game_id": job.game_id},
            )
            self._count("dropped")

    def _think(self, board: chess.Board, job: _Job, stockfish_bots: dict[str, ChessBot]) -> chess.Move:
        path = self._stockfish_path
        if path is not None and job.level not in stockfish_bots:
            try:
                stockfish_bots[job.level] = StockfishBot(path, job.level)
            except (OSError, chess.engine.EngineError, TimeoutError) as error:
                logger.error("Stockfish at %s did not start (%r); the built-in bots play from now on", path, error)
                self._stockfish_path = path = None
        if path is not None:
            return stockfish_bots[job.level].choose_move(board, think_ms=job.think_ms)
        pool = self._builtin_pool()
        try:
            future = pool.submit(builtin_move_uci, job.fen, job.level, job.think_ms)
            uci = future.result(timeout=job.think_ms / 1000 + _POOL_GRACE_S)
        except BrokenProcessPool:
            self._replace_pool(pool)
            raise
        move = chess.Move.from_uci(uci)
        if not board.is_legal(move):
            raise ValueError(f"the built-in bot answered {uci} in {job.fen}")
        return move

    def _builtin_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # Not fork: this process has threads, and a forked child would inherit their locks.
                self._pool = ProcessPoolExecutor(self._max_threads, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def _replace_pool(self, broken: ProcessPoolExecutor) -> None:
        """A pool process died: the pool takes no more work, so the next move gets a new one."""
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False)

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1
