"""Makes Daphne end websockets with close codes the client sees, never by dropping TCP.

Autobahn's `sendClose` only accepts 1000 and 3000-4999, although RFC 6455 (section 7.4.1) lets an
endpoint send 1008 (policy violation: floods) and 1009 (message too big). Daphne closes through
`sendClose`, so without this a 1008/1009 close raises inside Daphne and the client sees a broken
connection instead of the code. Codes outside the RFC's sendable set still go through Autobahn's
own check.

Autobahn's servers also "fail by drop" by default: a message over Daphne's
`--websocket-max-message-size` (or a protocol error) cuts the TCP connection. Failing by close
frame sends 1009 (or 1002, 1007) first instead.
"""

from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

RFC6455_SENDABLE_CODES = frozenset({1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011})


def _server_close(self, code=None):
    if code in RFC6455_SENDABLE_CODES:
        self.sendCloseFrame(code=code, isReply=False)
    else:
        self.sendClose(code=1000 if code is None else code)


_factory_init = WebSocketFactory.__init__


def _factory_init_failing_by_close(self, *args, **kwargs):
    _factory_init(self, *args, **kwargs)
    self.setProtocolOptions(failByDrop=False)


def install() -> None:
    WebSocketProtocol.serverClose = _server_close
    WebSocketFactory.__init__ = _factory_init_failing_by_close
