"""Websocket consumers, the web process's side of the game: authenticate, validate, forward to
the engine, relay what it sends. The rules live in the engine and the writes in services; these
classes only translate. `guarded` checks every frame, `game` plays and watches, `matchmaking`
waits in the queue."""
