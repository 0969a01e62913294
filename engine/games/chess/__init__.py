"""Chess bots: a built-in pure-Python player and Stockfish, behind one interface."""
