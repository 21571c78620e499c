"""
C{--workers N}: use every core. One acceptor process listens, applies the
connection limits for all, and hands each accepted control connection to
one of N worker processes (over a Unix socket, C{SCM_RIGHTS}); each worker
is a full server (its own reactor, passive ports and thread pool) and
tells the acceptor when a session ends, so the limits hold across them.
Behind a PROXY-protocol balancer (C{haproxy:} listeners) the acceptor
looks at each header first, so the limits count clients
(L{ftpkit.deploy.proxiedaccept}); a connection over a limit waits a
moment for a session to end (L{ftpkit.deploy.overlimit}).

A worker's sessions are released when it dies. The acceptor keeps each
connection it handed over until the worker acknowledges it
(L{ftpkit.deploy.handover}): those a worker had not taken when it died go
to another worker, and a worker that leaves one unacknowledged too long
(stopped, or stuck) is killed and replaced. A worker that dies before
it is ready is started again after a delay doubling at each such failure
(L{restartDelay}). Until the first worker is ready, clients wait in the
listen queue (up to L{STARTUP_WAIT}); when no worker is ready after
that, or after every worker died, they get C{421}. The
workers' logs go to the acceptor's (L{ftpkit.ops.workerlog}); C{SIGHUP} is
passed on to them, and C{SIGTERM} drains them (the acceptor waits).
"""

import errno
import os
import signal
import socket
import sys
from collections import Counter

from twisted.application import service
from twisted.internet import defer
from twisted.internet import error as netError
from twisted.internet.interfaces import IReadDescriptor
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger, globalLogPublisher
from zope.interface import implementer

from ftpkit.auth.sharedusers import AcceptorUserSessions
from ftpkit.control.policies import ConnectionLimiter
from ftpkit.control.proxied import PREFIX as PROXY_PREFIX
from ftpkit.control.proxied import isProxied
from ftpkit.control.sessionlimits import NOT_ALLOWED, AddressRules
from ftpkit.control.tls import implicitAsTCP
from ftpkit.data.channel import normalizeHost
from ftpkit.deploy import fdlimit
from ftpkit.deploy.endpoints import LISTEN_BACKLOG, splitEndpoint
from ftpkit.deploy.handover import Handovers
from ftpkit.deploy.overlimit import RELEASE_WAIT, OverLimitWaits
from ftpkit.deploy.proxiedaccept import HeaderWaits
from ftpkit.ops.eventlog import EventLog
from ftpkit.ops.events import CONNECTION_REFUSED, Event, EventHub
from ftpkit.protocol.replies import formatReply

STARTUP_WAIT = 30.0
"""
Seconds the acceptor leaves clients in the kernel's listen queue while no
worker has started yet, so that a client connecting as the server starts
is served a moment later instead of refused.
"""

WORKER_FD = 3
"""The descriptor number of a worker's Unix socket to the acceptor."""

_ACCEPTS_PER_TURN = 64

FIRST_RESTART_DELAY = 0.5
"""Seconds before starting again a worker that died before it was ready."""

LONGEST_RESTART_DELAY = 30.0
"""The most seconds between attempts to start a failing worker."""

STOP_MARGIN = 10.0
"""
Seconds the acceptor waits for its workers after their shutdown grace
before killing them.
"""


def restartDelay(failures, first=FIRST_RESTART_DELAY,
                 longest=LONGEST_RESTART_DELAY):
    """
    How long to wait before starting a worker again.

    @param failures: workers that died before they were ready, in a row.
    @param first: the delay after one such failure.
    @param longest: the longest delay.
    @return: seconds: 0 when no worker failed at start, else C{first}
        doubled at each further failure, at most C{longest}.
    """
    if failures <= 0:
        return 0.0
    return min(longest, first * 2 ** min(failures - 1, 32))


def parseListenAddress(description):
    """
    Read the address of a C{tcp:} or C{tcp6:} endpoint description, the
    kinds the acceptor can listen on.

    @param description: e.g. C{"tcp:2121:interface=127.0.0.1"} or
        C{"tcp6:2121:interface=\\:\\:1"}.
    @return: C{(family, host, port)}: IPv6 for C{tcp6:}, and for C{tcp:}
        with an IPv6 C{interface} (as Twisted's C{tcp:} listens).
    @raise ValueError: for any other kind of endpoint, or a bad port.
    """
    fields = splitEndpoint(description)
    kind = fields[0]
    if kind not in ("tcp", "tcp6") or len(fields) < 2:
        raise ValueError("--workers needs tcp:, tcp6: or ssl: listeners"
                         " (haproxy: in front of them or not), not %r"
                         % description)
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
    family = (socket.AF_INET6 if kind == "tcp6" or ":" in (host or "")
              else socket.AF_INET)
    if host is None:
        host = "::" if kind == "tcp6" else "0.0.0.0"
    return family, host, int(port)


def acceptorAddress(description):
    """
    Read a C{--listen} value the acceptor of C{--workers} can listen on:
    C{tcp:}, C{tcp6:}, C{ssl:} (implicit FTPS: the acceptor listens on
    its port, the worker speaks TLS), or any of them behind C{haproxy:}.

    @param description: e.g. C{"haproxy:tcp:2121:interface=10.0.0.2"}.
    @return: C{(family, host, port, proxied)}, C{proxied} saying whether
        clients come through a PROXY-protocol balancer.
    @raise ValueError: for any other kind of endpoint, or a bad port.
    """
    description = implicitAsTCP(description)
    proxied = isProxied(description)
    if proxied:
        description = description[len(PROXY_PREFIX):]
    return (*parseListenAddress(description), proxied)


def listeningSocket(family, host, port, backlog=LISTEN_BACKLOG):
    """
    A listening socket as Twisted's C{tcp:} and C{tcp6:} endpoints make
    one, so that C{--workers} listens as a single process does:
    C{SO_REUSEADDR}, and the system's default for C{IPV6_V6ONLY}, so that
    C{tcp6:} on C{::} takes IPv4 clients too where the system does so
    (L{socket.create_server} made it IPv6 only).

    @param family: C{AF_INET} or C{AF_INET6}.
    @param host: the address to listen on.
    @param port: the port.
    @param backlog: the length of the listen queue.
    @return: the non-blocking listening socket.
    @raise OSError: when it cannot listen there.
    """
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(backlog)
    except OSError:
        listening.close()
        raise
    listening.setblocking(False)
    return listening


@implementer(IReadDescriptor)
class _Acceptor:
    """
    Accepts control connections on one listening socket and dispatches
    them (from a C{haproxy:} listener, once their PROXY header came).
    """

    log = Logger()

    def __init__(self, pool, listening, proxied=False):
        self.pool = pool
        self.socket = listening
        self.proxied = proxied

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
                if e.errno in (errno.EMFILE, errno.ENFILE):
                    self._refuseWithSpare()
                else:
                    self.log.warn("accept failed: {error}", error=e)
                return
            host = normalizeHost(address[0])
            if self.proxied:
                self.pool.headerWaits.accepted(connection, host)
            else:
                self.pool.dispatch(connection, host)

    def _refuseWithSpare(self):
        """
        Out of descriptors: close the spare one, accept one client with
        it, tell it C{421} and close it, then take the spare again (else
        the client would wait in the listen queue, unanswered).
        """
        if not self.pool.spare.release():
            return
        try:
            connection, address = self.socket.accept()
        except OSError:
            pass
        else:
            self.pool.refuse(connection, normalizeHost(address[0]),
                             fdlimit.REFUSAL)
            connection.close()
        finally:
            self.pool.spare.reserve()


@implementer(IReadDescriptor)
class _Worker(ProcessProtocol):
    """
    One worker process, and the acceptor's end of its Unix socket.

    @ivar sessions: sessions this worker holds.
    @ivar hosts: sessions this worker holds, per client address.
    @ivar ready: whether the worker said it serves.
    @ivar alive: whether the process runs.
    @ivar hung: whether it left a connection unacknowledged too long
        (it is being killed).
    @ivar handovers: the L{Handovers} it has not acknowledged.
    """

    log = Logger()

    def __init__(self, pool, channel):
        self.pool = pool
        self.channel = channel
        self.sessions = 0
        self.hosts = Counter()
        self._buffer = b""
        self.alive = True
        self.ready = False
        self.hung = False
        self.handovers = Handovers()
        self.logs = None
        self._answerCall = None

    def fileno(self):
        """This worker's Unix socket."""
        return self.channel.fileno()

    def logPrefix(self):
        """The name used in logs."""
        return "ftpkit-worker"

    def makeConnection(self, transport):
        """
        The process started: read its logs.
        """
        from ftpkit.ops.workerlog import WorkerLogReader

        self.logs = WorkerLogReader(transport.pid, globalLogPublisher)
        ProcessProtocol.makeConnection(self, transport)

    def childDataReceived(self, childFD, data):
        """
        Log what the worker wrote: log records on standard output, lines
        on standard error.
        """
        if childFD == 1:
            self.logs.recordsReceived(data)
        else:
            self.logs.errorsReceived(data)

    def doRead(self):
        """
        Read the worker's messages: ready, connections taken, and sessions
        that ended.
        """
        try:
            data = self.channel.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            return netError.ConnectionDone()
        self._messagesReceived(data)
        return None

    def drain(self):
        """
        Read what the worker sent before it exited.
        """
        while True:
            try:
                data = self.channel.recv(65536)
            except OSError:
                return
            if not data:
                return
            self._messagesReceived(data)

    def _messagesReceived(self, data):
        lines = (self._buffer + data).split(b"\n")
        self._buffer = lines.pop()
        for line in lines:
            kind, _, host = line.partition(b" ")
            if kind == b"ended":
                self.released(host.decode("ascii", "replace"))
            elif kind in (b"login", b"logout"):
                answer = self.pool.userSessions.handle(self, kind, host)
                if answer is not None:
                    try:
                        self.channel.sendall(answer)
                    except OSError:
                        pass
            elif kind == b"took":
                self._took()
            elif kind == b"ready":
                self.ready = True
                self.pool.workerReady(self)

    def _took(self):
        """
        The worker took the oldest connection handed to it: close the
        acceptor's copy.
        """
        connection = self.handovers.acknowledged()
        if connection is not None:
            connection.close()
        if not self.handovers:
            self._stopWaiting()

    def released(self, host):
        """
        A session of this worker ended: release it from the limits.

        @param host: its client's address.
        """
        if self.hosts[host] <= 0:
            return
        self.hosts[host] -= 1
        if not self.hosts[host]:
            del self.hosts[host]
        self.sessions -= 1
        self.pool.limiter.release(host)
        self.pool.overLimit.retry()

    def releaseAll(self):
        """
        The worker is gone: release every session it held.
        """
        for host, count in list(self.hosts.items()):
            for _ in range(count):
                self.released(host)
        self.pool.userSessions.forgetWorker(self)

    def connectionLost(self, reason):
        """Stop watching the Unix socket."""
        self.pool.reactor.removeReader(self)

    def processEnded(self, reason):
        """The worker process exited."""
        self.alive = False
        self._stopWaiting()
        if self.logs is not None:
            self.logs.flush()
        self.pool.workerEnded(self, reason)

    def send(self, connection, host):
        """
        Hand a connection to this worker, keeping it until the worker
        acknowledges it.

        @param connection: the accepted socket (this worker owns it once
            sent).
        @param host: its client's address.
        @raise OSError: when it could not be sent (the caller still owns
            it).
        """
        socket.send_fds(self.channel, [host.encode("ascii") + b"\n"],
                        [connection.fileno()])
        self.sessions += 1
        self.hosts[host] += 1
        self.handovers.sent(connection, host, self.pool.reactor.seconds())
        if self._answerCall is None:
            self._waitForAnswer()

    def unacknowledged(self):
        """
        Take back the connections the worker did not acknowledge (it is
        gone), without releasing them from the limits.

        @return: a C{list} of C{(connection, host)}, each now the
            caller's.
        """
        taken = self.handovers.takeAll()
        for _, host in taken:
            self.sessions -= 1
            self.hosts[host] -= 1
            if not self.hosts[host]:
                del self.hosts[host]
        return taken

    def _waitForAnswer(self):
        """
        Check again when the oldest unacknowledged connection is due; when
        it is overdue, the worker is hung.
        """
        self._answerCall = None
        left = self.handovers.overdue(self.pool.reactor.seconds())
        if left is None or self.hung:
            return
        if left <= 0:
            self.pool.workerHung(self)
        else:
            self._answerCall = self.pool.reactor.callLater(
                left, self._waitForAnswer)

    def _stopWaiting(self):
        if self._answerCall is not None:
            if self._answerCall.active():
                self._answerCall.cancel()
            self._answerCall = None


class WorkerPool(service.Service):
    """
    The acceptor: listens, limits, and dispatches to worker processes.

    @ivar limiter: the L{ConnectionLimiter} for all workers together.
    @ivar addressRules: the L{AddressRules} (C{--allow-from},
        C{--deny-from}) checked before a connection counts.
    @ivar events: the L{EventHub} connections refused here are published
        to (an L{EventLog} logs them).
    @ivar endedHooks: callables given the process id of each worker that
        exited.
    @ivar userSessions: the L{AcceptorUserSessions} counting every
        worker's logins (C{--max-sessions-per-user}).
    """

    log = Logger()

    def __init__(self, count, listens, argv, config, reactor=None):
        """
        @param count: the number of worker processes.
        @param listens: C{tcp:}/C{tcp6:}/C{ssl:} endpoint descriptions,
            each possibly behind C{haproxy:}.
        @param argv: the options each worker is started with (the
            server's own, C{--workers} among them).
        @param config: the L{ftpkit.config.ServerConfig} (for its limits).
        @param reactor: the reactor, or C{None} for the global one.
        """
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.count = count
        self.events = EventHub()
        EventLog().subscribeTo(self.events)
        self.userSessions = AcceptorUserSessions(config.maxSessionsPerUser)
        self.endedHooks = []
        self.addresses = [acceptorAddress(each) for each in listens]
        self.headerWaits = HeaderWaits(reactor, config.trustedProxies,
                                       self.dispatch)
        self.overLimit = OverLimitWaits(reactor, self._admitted, self.refuse,
                                        config.ipv6PrefixLength)
        self.argv = argv
        self.limiter = ConnectionLimiter(config.maxConnections,
                                         config.maxConnectionsPerIP,
                                         config.ipv6PrefixLength)
        self.addressRules = AddressRules(config.allowFrom, config.denyFrom)
        self.grace = config.shutdownGrace
        self.workers = []
        self.spare = fdlimit.SpareDescriptor()
        self.failures = 0
        self._acceptors = []
        self._accepting = False
        self._acceptLater = None
        self._stopping = False
        self._restarts = []
        self._stopped = None

    def privilegedStartService(self):
        """
        Bind the listening sockets while still privileged (port 21), before
        twistd switches to C{--uid}.
        """
        service.Service.privilegedStartService(self)
        for family, host, port, proxied in self.addresses:
            listening = listeningSocket(family, host, port)
            self._acceptors.append(_Acceptor(self, listening, proxied))

    def startService(self):
        """
        Start the workers; accept once one is ready (or after
        L{STARTUP_WAIT}).
        """
        service.Service.startService(self)
        if not self._acceptors:
            self.privilegedStartService()
        self.spare.reserve()
        for acceptor in self._acceptors:
            self.log.info("ftpkit acceptor on port {port}",
                          port=acceptor.socket.getsockname()[1])
        for _ in range(self.count):
            self._startWorker()
        self._acceptLater = self.reactor.callLater(
            STARTUP_WAIT, self._startAccepting)

    def _startAccepting(self):
        """
        Take connections from the listen queue from now on.
        """
        if self._accepting or self._stopping:
            return
        self._accepting = True
        if self._acceptLater.active():
            self._acceptLater.cancel()
        else:
            self.log.error("no worker ready after {wait:g} s; clients get "
                           "421 until one is", wait=STARTUP_WAIT)
        for acceptor in self._acceptors:
            self.reactor.addReader(acceptor)

    def _startWorker(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ours.setblocking(False)
        worker = _Worker(self, ours)
        self.reactor.spawnProcess(
            worker, sys.executable,
            [sys.executable, "-m", "ftpkit.deploy.worker", *self.argv],
            env=os.environ,
            childFDs={0: 0, 1: "r", 2: "r", WORKER_FD: theirs.fileno()})
        theirs.close()
        self.reactor.addReader(worker)
        self.workers.append(worker)

    def workerReady(self, worker):
        """
        A worker serves: workers no longer fail at start.

        @param worker: the worker that said it is ready.
        """
        self.failures = 0
        self.log.info("worker {pid} ready", pid=worker.transport.pid)
        self._startAccepting()

    def workerHung(self, worker):
        """
        A worker left a connection unacknowledged too long: hand it no
        more, and kill it (L{workerEnded} hands its unacknowledged
        connections to others and starts another).

        @param worker: the hung worker.
        """
        worker.hung = True
        self.log.error("worker {pid} did not take a connection within "
                       "{timeout:g} s; killing it and starting another",
                       pid=worker.transport.pid,
                       timeout=worker.handovers.timeout)
        try:
            worker.transport.signalProcess("KILL")
        except (netError.ProcessExitedAlready, OSError):
            pass

    def workerEnded(self, worker, reason):
        """
        A worker exited: release its sessions, hand the connections it had
        not taken to the others and, unless shutting down, start another
        (after L{restartDelay} when it never got ready).
        """
        self.workers.remove(worker)
        self.reactor.removeReader(worker)
        worker.drain()
        worker.channel.close()
        for connection, host in worker.unacknowledged():
            if not self._handOver(connection, host):
                connection.close()
        worker.releaseAll()
        for hook in self.endedHooks:
            hook(worker.logs.pid)
        if self._stopping:
            if not self.workers and self._stopped is not None:
                stopped, self._stopped = self._stopped, None
                stopped.callback(None)
            return
        if not worker.ready:
            self.failures += 1
        delay = restartDelay(self.failures)
        if delay:
            self.log.error("worker exited before it was ready ({reason}); "
                           "starting another in {delay:g} s",
                           reason=reason.value, delay=delay)
            self._restarts.append(
                self.reactor.callLater(delay, self._restart))
        else:
            if not worker.hung:
                self.log.error("worker exited ({reason}); starting another",
                               reason=reason.value)
            self._startWorker()

    def _restart(self):
        self._restarts = [call for call in self._restarts if call.active()]
        if not self._stopping:
            self._startWorker()

    def reloadWorkers(self):
        """
        Pass C{SIGHUP} on to every ready worker (each reloads its users
        file and certificate; one still starting reads them anyway).
        """
        for worker in self.workers:
            if not worker.ready:
                continue
            try:
                worker.transport.signalProcess("HUP")
            except (netError.ProcessExitedAlready, OSError):
                pass

    def dispatch(self, connection, host):
        """
        Refuse a connection from an address C{--allow-from}/C{--deny-from}
        refuse, or when no worker is ready; one over the limits waits for
        a session to end (L{OverLimitWaits}); else hand it to the least
        busy ready worker.

        @param connection: the accepted socket (closed here, or by
            L{overLimit}, either way).
        @param host: the client's address.
        """
        held = False
        try:
            refusal = fdlimit.connectionRefusal(connection.fileno())
            if refusal is None and not self.addressRules.allows(host):
                refusal = NOT_ALLOWED
            if refusal is None and not self._readyWorkers():
                refusal = "Service not available; try again later"
            if refusal is None:
                refusal = self.limiter.admit(host)
                if refusal is None:
                    held = self._handOver(connection, host)
                    return
                held = self.overLimit.wait(connection, host, refusal,
                                           RELEASE_WAIT)
            if not held:
                self.refuse(connection, host, refusal)
        finally:
            if not held:
                connection.close()

    def _readyWorkers(self):
        """
        @return: the workers that can take a session now (none while
            stopping).
        """
        if self._stopping:
            return []
        return [worker for worker in self.workers
                if worker.alive and worker.ready and not worker.hung]

    def _admitted(self, connection, host):
        """
        Count a connection that waited over a limit, if it fits now, and
        hand it to a worker.

        @return: whether it fitted (and was handed over, or refused and
            closed).
        """
        if self.limiter.admit(host) is not None:
            return False
        if not self._handOver(connection, host):
            connection.close()
        return True

    def _handOver(self, connection, host):
        """
        Hand an admitted connection to the least busy ready worker (one
        that cannot take it is skipped); refuse it when none can.

        @return: whether a worker has it now; else the caller closes it.
        """
        ready = self._readyWorkers()
        while ready:
            worker = min(ready, key=lambda each: each.sessions)
            try:
                worker.send(connection, host)
            except OSError as e:
                ready.remove(worker)
                self.log.error("could not hand a session to a worker: "
                               "{error}", error=e)
            else:
                return True
        self.limiter.release(host)
        self.refuse(connection, host,
                    "Service not available; try again later")
        return False

    def refuse(self, connection, host, refusal):
        """
        Tell a client why it is refused (C{421}); the caller closes it.

        @param connection: the accepted socket.
        @param host: the client's address.
        @param refusal: the reason.
        """
        self.events.publish(Event(
            CONNECTION_REFUSED, host, time=self.reactor.seconds(),
            reason=refusal))
        connection.setblocking(False)
        try:
            connection.send(formatReply(421, refusal))
        except OSError:
            pass

    def stopService(self):
        """
        Stop listening, and stop the workers: each drains its sessions
        (C{SIGTERM}); those still running after their grace and
        L{STOP_MARGIN} are killed.

        @return: a Deferred firing once every worker exited.
        """
        self._stopping = True
        self.spare.release()
        for call in self._restarts:
            if call.active():
                call.cancel()
        self._restarts = []
        if self._acceptLater is not None and self._acceptLater.active():
            self._acceptLater.cancel()
        for acceptor in self._acceptors:
            self.reactor.removeReader(acceptor)
            acceptor.socket.close()
        self._acceptors = []
        self.headerWaits.stop()
        self.overLimit.stop()
        service.Service.stopService(self)
        if not self.workers:
            return defer.succeed(None)
        self._stopped = defer.Deferred()
        self._signalWorkers(signal.SIGTERM)
        killer = self.reactor.callLater(self.grace + STOP_MARGIN,
                                        self._signalWorkers, signal.SIGKILL)

        def stopped(result):
            if killer.active():
                killer.cancel()
            return result

        return self._stopped.addCallback(stopped)

    def _signalWorkers(self, signalNumber):
        for worker in self.workers:
            try:
                worker.transport.signalProcess(signalNumber)
            except (netError.ProcessExitedAlready, OSError):
                pass
