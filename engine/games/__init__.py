"""Every game kind Kogame plays, one package each, behind one registry: adding a kind is a new
package here and a line in KINDS."""

from __future__ import annotations

from engine.games import chess, snake
from engine.games.kind import GameKind

KINDS: dict[str, GameKind] = {kind.name: kind for kind in (snake.KIND, chess.KIND)}
