"""
L{LateLink}: a TCP relay on loopback, in the test's reactor, that delivers
what the server sends a moment late, as a link with latency does: bytes
the server writes close together reach the client together, in one
read, as they may over any network (on loopback a client usually reads
them apart). For a client whose handling depends on what arrives in one
read (lftp's C{CCC}: L{tests.integration.test_tls_ccc}).
"""

from twisted.internet import reactor
from twisted.protocols import portforward

LATENCY = 0.05
"""Seconds the server's bytes are held, gathered, before the client gets
them."""


class _LateServerSide(portforward.ProxyClient):
    """
    The relay's connection to the server: what the server sends goes to
    the client L{LATENCY} after the first byte of it came.
    """

    _held = None

    def later(self, delay, f, *args):
        """
        Call C{f(*args)} C{delay} seconds from now; the link's cleanup
        cancels the calls not made by then.

        @param delay: the seconds.
        @param f: the callable.
        @param args: its arguments.
        """
        link = self.factory.server.factory.link
        link.pending.add(reactor.callLater(delay, f, *args))

    def dataReceived(self, data):
        if self._held is None:
            self._held = []
            self.later(LATENCY, self._deliver)
        self._held.append(data)

    def _deliver(self):
        held, self._held = self._held, None
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(b"".join(held))

    def connectionLost(self, reason):
        # The client gets the server's end once what was held is out.
        self.later(LATENCY * 2, portforward.ProxyClient.connectionLost,
                   self, reason)


class _LateServerSideFactory(portforward.ProxyClientFactory):
    protocol = _LateServerSide


class _ClientSide(portforward.ProxyServer):
    clientProtocolFactory = _LateServerSideFactory


class LateLink:
    """
    A listening relay to a port of 127.0.0.1.

    @ivar port: the port the relay listens on (127.0.0.1).
    """

    def __init__(self, testCase, targetPort):
        """
        Listen; the test's cleanup stops listening.

        @param testCase: the test (for its cleanup).
        @param targetPort: the server's port on 127.0.0.1.
        """
        self.pending = set()
        factory = portforward.ProxyFactory("127.0.0.1", targetPort)
        factory.protocol = _ClientSide
        factory.link = self
        listening = reactor.listenTCP(0, factory, interface="127.0.0.1")
        testCase.addCleanup(self._cancel)
        testCase.addCleanup(listening.stopListening)
        self.port = listening.getHost().port

    def _cancel(self):
        """
        Cancel the relay's calls still to come.
        """
        for call in self.pending:
            if call.active():
                call.cancel()
