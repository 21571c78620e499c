"""
A connection the acceptor hands a worker of C{--workers}, and its
greeting: what the line sent with it says (its client's address,
L{connectionHost}; whether a worker that died greeted it already,
L{wasGreeted}, and then L{AlreadyGreeted}), the greeting written before
the worker acknowledges it (L{writeGreeting}), and the tests' seam of a
worker dying just after (L{DIE_AFTER_GREETING}).
"""

import os
import signal

from twisted.python.failure import Failure

DIE_AFTER_GREETING = "FTPKIT_TEST_DIE_AFTER_GREETING"
"""
The environment variable of a fault-injection seam for the tests: when
it names a file that does not exist yet, the first worker to greet a
client makes that file and dies at once (C{SIGKILL}), after the greeting
and before its C{took}: the moment at which the acceptor must hand the
connection on without the client being greeted twice.
"""


def dieAfterGreetingIfAsked():
    """
    The seam of L{DIE_AFTER_GREETING}: nothing unless it is set.
    """
    marker = os.environ.get(DIE_AFTER_GREETING)
    if not marker:
        return
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


def writeGreeting(reactor, transport):
    """
    Write what a session said as it started to its socket now, instead of
    at the reactor's next turn, so that the worker acknowledges the
    connection (C{took}) only once its client has its C{220} (or C{421}):
    a worker that dies before has its connection handed to another worker
    by the acceptor, where the client would have been left without a
    greeting. A session that first waits for its client (a PROXY header,
    a TLS handshake) has nothing to write yet: it is acknowledged at once,
    so that the acceptor's answer timeout never waits on a client. (A
    worker dying between the greeting and its C{took} has its connection
    handed on as greeted, L{ftpkit.deploy.handover.bytesWritten}: the
    next worker does not greet it again.)

    @param reactor: the reactor the connection was adopted by.
    @param transport: its transport (an L{IWriteDescriptor}), or C{None}
        when its factory built no session.
    """
    if transport is None:
        return
    why = transport.doWrite()
    if why is not None:
        # As the reactor does with a descriptor whose write ended it (a
        # 421 written, then closed; or the client gone already).
        reactor.removeReader(transport)
        reactor.removeWriter(transport)
        transport.connectionLost(Failure(why))


def connectionHost(line):
    """
    The client address the acceptor sent with a connection.

    @param line: the line sent with the connection's descriptor: C{HOST},
        or C{HOST greeted}.
    @return: the address, C{bytes}, or C{None} when there is none.
    """
    host = line.split(b" ")[0]
    return host or None


def wasGreeted(line):
    """
    Whether the acceptor sent a connection whose client was greeted
    already, by a worker that died before it acknowledged the connection
    (L{ftpkit.deploy.handover.bytesWritten}).

    @param line: the line sent with the connection's descriptor (see
        L{connectionHost}).
    @return: C{True} when the client was greeted already.
    """
    return line.split(b" ")[1:] == [b"greeted"]


class AlreadyGreeted:
    """
    The factory of a connection whose client has its greeting already:
    its session is built by the server's factory, told not to greet
    (L{ftpkit.control.connection.FTPProtocol.greeted}).
    """

    def __init__(self, factory):
        """
        @param factory: the server's factory.
        """
        self._factory = factory

    def buildProtocol(self, address):
        """
        @param address: the client's address.
        @return: the server's session for it, marked as greeted (or
            C{None} when the server builds none).
        """
        protocol = self._factory.buildProtocol(address)
        if protocol is not None:
            protocol.greeted = True
        return protocol
