"""Lets Daphne close websockets with the RFC 6455 policy codes the contract uses.

Autobahn's `sendClose` only accepts 1000 and 3000-4999, although RFC 6455 (section 7.4.1) lets an
endpoint send 1008 (policy violation: floods) and 1009 (message too big). Daphne closes through
`sendClose`, so without this a 1008/1009 close raises inside Daphne and the client sees a broken
connection instead of the code. Codes outside the RFC's sendable set still go through Autobahn's
own check.
"""

from daphne.ws_protocol import WebSocketProtocol

RFC6455_SENDABLE_CODES = frozenset({1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011})


def _server_close(self, code=None):
    if code in RFC6455_SENDABLE_CODES:
        self.sendCloseFrame(code=code, isReply=False)
    else:
        self.sendClose(code=1000 if code is None else code)


def install() -> None:
    WebSocketProtocol.serverClose = _server_close
