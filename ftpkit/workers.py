"""
C{--workers N}: use every core. One acceptor process listens, applies the
connection limits for all, and hands each accepted control connection to
one of N worker processes (over a Unix socket, C{SCM_RIGHTS}); each worker
is a full server (its own reactor, passive ports and thread pool) and
tells the acceptor when a session ends, so the limits hold across them.
"""

import os
import signal
import socket
import sys

from twisted.application import service
from twisted.internet import error as netError
from twisted.internet.interfaces import IReadDescriptor
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.data import normalizeHost
from ftpkit.endpoints import splitEndpoint
from ftpkit.policies import ConnectionLimiter
from ftpkit.replies import formatReply

WORKER_FD = 3
"""The descriptor number of a worker's Unix socket to the acceptor."""

_ACCEPTS_PER_TURN = 64


def parseListenAddress(description):
    """
    Read the address of a C{tcp:} or C{tcp6:} endpoint description, the
    kinds the acceptor can listen on.

    @param description: e.g. C{"tcp:2121:interface=127.0.0.1"} or
        C{"tcp6:2121:interface=\\:\\:1"}.
    @return: C{(family, host, port)}.
    @raise ValueError: for any other kind of endpoint, or a bad port.
    """
    fields = splitEndpoint(description)
    kind = fields[0]
    if kind not in ("tcp", "tcp6") or len(fields) < 2:
        raise ValueError(
            "--workers needs tcp: or tcp6: listeners, not %r" % description)
    port, host = None, None
    for field in fields[1:]:
        name, equals, value = field.partition("=")
        if not equals:
            port = name
        elif name == "port":
            port = value
        elif name == "interface":
            host = value
    if port is None or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("bad port in %r" % description)
    family = socket.AF_INET6 if kind == "tcp6" else socket.AF_INET
    if host is None:
        host = "::" if kind == "tcp6" else "0.0.0.0"
    return family, host, int(port)


def workerArguments(argv):
    """
    The command line of a worker: the server's own options, less
    C{--workers}.

    @param argv: the options given to C{twistd ftpkit}.
    @return: the list of options for L{ftpkit.worker}.
    """
    result, skip = [], False
    for argument in argv:
        if skip:
            skip = False
        elif argument == "--workers":
            skip = True
        elif not argument.startswith("--workers="):
            result.append(argument)
    return result


@implementer(IReadDescriptor)
class _Acceptor:
    """
    Accepts control connections on one listening socket and dispatches
    them.
    """

    log = Logger()

    def __init__(self, pool, listening):
        self.pool = pool
        self.socket = listening

    def fileno(self):
        """The listening socket."""
        return self.socket.fileno()

    def logPrefix(self):
        """The name used in logs."""
        return "ftpkit-acceptor"

    def connectionLost(self, reason):
        """The reactor dropped the socket: close it."""
        self.socket.close()

    def doRead(self):
        """Accept what is waiting and dispatch it."""
        for _ in range(_ACCEPTS_PER_TURN):
            try:
                connection, address = self.socket.accept()
            except BlockingIOError:
                return
            except OSError as e:
                self.log.warn("accept failed: {error}", error=e)
                return
            self.pool.dispatch(connection, normalizeHost(address[0]))


@implementer(IReadDescriptor)
class _Worker(ProcessProtocol):
    """
    One worker process, and the acceptor's end of its Unix socket.

    @ivar sessions: sessions this worker holds.
    """

    log = Logger()

    def __init__(self, pool, channel):
        self.pool = pool
        self.channel = channel
        self.sessions = 0
        self._buffer = b""
        self.alive = True

    def fileno(self):
        """This worker's Unix socket."""
        return self.channel.fileno()

    def logPrefix(self):
        """The name used in logs."""
        return "ftpkit-worker"

    def doRead(self):
        """Read the addresses of ended sessions and release them."""
        try:
            data = self.channel.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            return netError.ConnectionDone()
        lines = (self._buffer + data).split(b"\n")
        self._buffer = lines.pop()
        for line in lines:
            self.sessions -= 1
            self.pool.limiter.release(line.decode("ascii", "replace"))
        return None

    def connectionLost(self, reason):
        """Stop watching the Unix socket."""
        self.pool.reactor.removeReader(self)

    def processEnded(self, reason):
        """The worker process exited."""
        self.alive = False
        self.pool.workerEnded(self, reason)

    def send(self, connection, host):
        """
        Hand a connection to this worker.
        """
        socket.send_fds(self.channel, [host.encode("ascii") + b"\n"],
                        [connection.fileno()])
        self.sessions += 1


class WorkerPool(service.Service):
    """
    The acceptor: listens, limits, and dispatches to worker processes.

    @ivar limiter: the L{ConnectionLimiter} for all workers together.
    """

    log = Logger()

    def __init__(self, count, listens, argv, config, reactor=None):
        """
        @param count: the number of worker processes.
        @param listens: C{tcp:}/C{tcp6:} endpoint descriptions.
        @param argv: the options each worker is started with.
        @param config: the L{ftpkit.config.ServerConfig} (for its limits).
        """
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.count = count
        self.addresses = [parseListenAddress(each) for each in listens]
        self.argv = argv
        self.limiter = ConnectionLimiter(config.maxConnections,
                                         config.maxConnectionsPerIP)
        self.workers = []
        self._acceptors = []
        self._stopping = False

    def privilegedStartService(self):
        """
        Bind the listening sockets while still privileged (port 21), before
        twistd switches to C{--uid}.
        """
        service.Service.privilegedStartService(self)
        for family, host, port in self.addresses:
            listening = socket.create_server(
                (host, port), family=family, backlog=511)
            listening.setblocking(False)
            self._acceptors.append(_Acceptor(self, listening))

    def startService(self):
        """
        Accept, and start the workers.
        """
        service.Service.startService(self)
        if not self._acceptors:
            self.privilegedStartService()
        for acceptor in self._acceptors:
            self.reactor.addReader(acceptor)
            self.log.info("ftpkit acceptor on port {port}",
                          port=acceptor.socket.getsockname()[1])
        for _ in range(self.count):
            self._startWorker()

    def _startWorker(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ours.setblocking(False)
        worker = _Worker(self, ours)
        self.reactor.spawnProcess(
            worker, sys.executable,
            [sys.executable, "-m", "ftpkit.worker", *self.argv],
            env=os.environ,
            childFDs={0: 0, 1: 1, 2: 2, WORKER_FD: theirs.fileno()})
        theirs.close()
        self.reactor.addReader(worker)
        self.workers.append(worker)

    def workerEnded(self, worker, reason):
        """
        A worker exited: forget its sessions and, unless shutting down,
        start another.
        """
        self.workers.remove(worker)
        self.reactor.removeReader(worker)
        worker.channel.close()
        if not self._stopping:
            self.log.error("worker exited ({reason}); starting another",
                           reason=reason.value)
            self._startWorker()

    def dispatch(self, connection, host):
        """
        Refuse a connection over the limits, or hand it to the least busy
        worker.

        @param connection: the accepted socket (closed here either way).
        @param host: the client's address.
        """
        try:
            refusal = self.limiter.admit(host)
            live = [worker for worker in self.workers if worker.alive]
            if refusal is None and not live:
                self.limiter.release(host)
                refusal = "Service not available; try again later"
            if refusal is not None:
                self.log.warn("refused {peer}: {why}", peer=host,
                              why=refusal)
                connection.setblocking(False)
                try:
                    connection.send(formatReply(421, refusal))
                except OSError:
                    pass
                return
            worker = min(live, key=lambda each: each.sessions)
            try:
                worker.send(connection, host)
            except OSError as e:
                self.limiter.release(host)
                self.log.error("could not hand a session to a worker: "
                               "{error}", error=e)
        finally:
            connection.close()

    def stopService(self):
        """
        Stop listening and stop the workers.
        """
        self._stopping = True
        for acceptor in self._acceptors:
            self.reactor.removeReader(acceptor)
            acceptor.socket.close()
        self._acceptors = []
        for worker in self.workers:
            try:
                worker.transport.signalProcess(signal.SIGTERM)
            except (netError.ProcessExitedAlready, OSError):
                pass
        return service.Service.stopService(self)
