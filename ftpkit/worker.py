"""
A worker process of C{--workers} (see L{ftpkit.workers}): it serves the
control connections the acceptor hands it over descriptor L{WORKER_FD}.

Run by the acceptor as C{python -m ftpkit.worker OPTIONS}, with the same
options as the server itself.
"""

import os
import socket
import sys

from twisted.internet.interfaces import IReadDescriptor
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver
from zope.interface import implementer

from ftpkit.workers import WORKER_FD


class ReportingLimiter:
    """
    The limiter of a worker's factory: the acceptor already admitted every
    session; the worker counts them and reports each one that ends.

    @ivar sessions: live sessions in this worker.
    @ivar sessionsByHost: live sessions per client address.
    """

    def __init__(self, channel):
        """
        @param channel: the Unix socket to the acceptor.
        """
        self.channel = channel
        self.sessions = 0
        self.sessionsByHost = {}

    def admit(self, host):
        """
        Count a session the acceptor admitted.

        @return: C{None}.
        """
        self.sessions += 1
        self.sessionsByHost[host] = self.sessionsByHost.get(host, 0) + 1
        return None

    def release(self, host):
        """
        Tell the acceptor a session ended.
        """
        self.sessions -= 1
        left = self.sessionsByHost.get(host, 1) - 1
        if left:
            self.sessionsByHost[host] = left
        else:
            self.sessionsByHost.pop(host, None)
        try:
            self.channel.sendall(host.encode("ascii", "replace") + b"\n")
        except OSError:
            pass


@implementer(IReadDescriptor)
class ConnectionReceiver:
    """
    Receives control connections from the acceptor and starts a session
    on each; stops the reactor when the acceptor goes away.
    """

    log = Logger()

    def __init__(self, reactor, channel, factory):
        self.reactor = reactor
        self.channel = channel
        self.factory = factory

    def fileno(self):
        """The Unix socket to the acceptor."""
        return self.channel.fileno()

    def logPrefix(self):
        """The name used in logs."""
        return "ftpkit-worker"

    def doRead(self):
        """Adopt the connections the acceptor sent; stop when it is gone."""
        try:
            message, descriptors, _, _ = socket.recv_fds(
                self.channel, 4096, 64)
        except BlockingIOError:
            return
        except OSError:
            message, descriptors = b"", []
        if not message and not descriptors:
            self.reactor.removeReader(self)
            if self.reactor.running:
                self.reactor.stop()
            return
        for descriptor in descriptors:
            try:
                probe = socket.socket(fileno=descriptor)
                addressFamily = probe.family
                probe.detach()
                self.reactor.adoptStreamConnection(
                    descriptor, addressFamily, self.factory)
            except OSError as e:
                self.log.warn("could not adopt a connection: {error}",
                              error=e)
            finally:
                os.close(descriptor)

    def connectionLost(self, reason):
        """The reactor dropped the socket: close it."""
        self.channel.close()


def main(argv=None):
    """
    Parse the server's options, build its factory, and serve what the
    acceptor sends.

    @param argv: the options (C{sys.argv[1:]} by default).
    """
    from twisted.internet import reactor

    from ftpkit import tap

    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)])
    channel = socket.socket(fileno=WORKER_FD)
    channel.setblocking(False)
    options = tap.Options()
    options.parseOptions(sys.argv[1:] if argv is None else argv)
    factory = tap.makeFactory(options, limiter=ReportingLimiter(channel))
    reactor.addReader(ConnectionReceiver(reactor, channel, factory))
    tap.freezeStartupObjects()
    reactor.run()


if __name__ == "__main__":
    main()
