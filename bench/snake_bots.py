"""Cost of one Snake bot decision, per level and number of snakes, and how often each level wins.

What is measured
----------------
Cost: for each level and each number of snakes (default 2, 4 and 8 on the default 24x24 board),
--games seeded matched games (no countdown, at most --max-ticks ticks) in which every snake is a
bot of that level. Every `choose_direction` call for a live snake is timed twice: with
time.perf_counter_ns (wall clock, which includes whatever the machine's other work takes from
it, hence the load average beside the table) and with time.thread_time_ns (the CPU time of this
thread alone, free of preemption). Medians and p99s over all the decisions of those games.

Wins: the same number of seeded games with one bot of the level against (snakes - 1) random
movers (`random_direction`); the bot wins when it is the last snake standing.

Run
---
    .venv/bin/python -m bench.snake_bots
    .venv/bin/python -m bench.snake_bots --games 50 --snakes 2 4 6 8 --max-ticks 2000

No Django, no network: the bots and the rules are pure Python.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable

from engine.games.snake.bots import LEVELS, choose_direction, random_direction
from engine.games.snake.rules import SnakeConfig, SnakeState, new_game, step

Strategy = Callable[[SnakeState, str, random.Random], "str | None"]


def level_strategy(level: str) -> Strategy:
    return lambda state, player, rng: choose_direction(state, player, level, rng)


def play(
    strategies: dict[str, Strategy], seed: int, max_ticks: int, timings: list[tuple[int, int]] | None = None
) -> SnakeState:
    """One seeded game; appends each decision's (wall, CPU) nanoseconds to `timings` when given."""
    config = SnakeConfig(countdown_ticks=0, max_players=8)
    game_rng = random.Random(seed)
    bot_rngs = {player: random.Random(f"{seed}:{player}") for player in strategies}
    state = new_game(config, list(strategies), game_rng)
    while not state.over and state.tick < max_ticks:
        intents = []
        for player, strategy in strategies.items():
            if not state.snakes[player].alive:
                continue
            cpu_started = time.thread_time_ns()
            started = time.perf_counter_ns()
            direction = strategy(state, player, bot_rngs[player])
            if timings is not None:
                wall = time.perf_counter_ns() - started
                timings.append((wall, time.thread_time_ns() - cpu_started))
            if direction is not None:
                intents.append((player, {"type": "direction", "direction": direction}))
        step(state, intents, game_rng)
    return state


def decision_costs(level: str, snakes: int, games: int, max_ticks: int) -> list[tuple[int, int]]:
    timings: list[tuple[int, int]] = []
    strategies = {f"{level}{i}": level_strategy(level) for i in range(snakes)}
    for seed in range(games):
        play(strategies, seed, max_ticks, timings)
    return timings


def wins_against_random(level: str, snakes: int, games: int, max_ticks: int) -> int:
    strategies = {"bot": level_strategy(level)}
    strategies |= {f"random{i}": random_direction for i in range(snakes - 1)}
    return sum(play(strategies, seed, max_ticks).winner == "bot" for seed in range(games))


def microseconds(nanoseconds: list[int], fraction: float) -> float:
    """The `fraction` quantile (0.5: the median), nearest rank."""
    ordered = sorted(nanoseconds)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--games", type=int, default=20, help="seeded games per level and snake count (default 20)")
    parser.add_argument("--snakes", type=int, nargs="+", default=[2, 4, 8], help="snakes on the board (default 2 4 8)")
    parser.add_argument("--max-ticks", type=int, default=1000, help="a game stops after this many ticks (default 1000)")
    args = parser.parse_args()

    load_before = os.getloadavg()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, 24x24 board, {args.games} games per row")
    print(f"load average before: {' '.join(f'{load:.2f}' for load in load_before)}")
    print()
    print("| level | snakes | decisions | median µs | p99 µs | CPU median µs | CPU p99 µs | won vs random | load (1 min) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for level in LEVELS:
        for snakes in args.snakes:
            timings = decision_costs(level, snakes, args.games, args.max_ticks)
            wall = [wall for wall, _ in timings]
            cpu = [cpu for _, cpu in timings]
            wins = wins_against_random(level, snakes, args.games, args.max_ticks)
            print(
                f"| {level} | {snakes} | {len(timings):,} | {microseconds(wall, 0.5):.1f} | {microseconds(wall, 0.99):.1f} "
                f"| {microseconds(cpu, 0.5):.1f} | {microseconds(cpu, 0.99):.1f} | {wins} / {args.games} "
                f"| {os.getloadavg()[0]:.2f} |",
                flush=True,
            )
    print()
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
