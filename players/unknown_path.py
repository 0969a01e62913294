"""The websocket answer for every path no route serves: accept, then close with 4004.

Without it Channels raises "No route found": Daphne answers the handshake with HTTP 500 and logs
a traceback for each such request.
"""

# The code of an unknown game: nothing is served at this path either.
CLOSE_NOT_FOUND = 4004


async def refuse_unknown_path(scope, receive, send):
    await receive()  # websocket.connect
    # Accept first: a close during the handshake becomes HTTP 403 and the client never sees the code.
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})
