"""
The acceptor's handle on one worker process of C{--workers}
(L{ftpkit.deploy.workers}): the process itself (its logs go to the
acceptor's, L{ftpkit.ops.workerlog}, through a pipe the acceptor reads at
a pace, L{ftpkit.deploy.logpipe}, with its reports of the logins and
file transfers of its sessions, L{ftpkit.deploy.inflight}), and the
acceptor's end of the Unix
socket between them (L{ftpkit.deploy.channel}). Over it the acceptor
hands the worker connections (C{SCM_RIGHTS}) and the worker says it is
ready, acknowledges each connection (C{took}), reports each session
that ended, asks about logins (L{ftpkit.auth.sharedusers}) and reports failed ones
(L{ftpkit.deploy.sharedfailures}); the acceptor pings it every few
seconds (C{ping}, answered C{pong}). A worker given C{SIGTERM} says so
(C{signalled SIGTERM}) and the acceptor decides
(L{ftpkit.deploy.workersignals}). A worker that stops says so
(C{draining}): it is handed no more connections, and sends back
(C{back}) one handed to it before the acceptor read that, unopened, for
another worker; it is still pinged until it exits. The handle keeps
what the worker holds: its sessions for the limits, and the connections
it has not acknowledged yet; these and its ping decide when it is hung
(L{ftpkit.deploy.handover}).
"""

import os
import signal
from collections import Counter

from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger

from ftpkit.deploy.channel import Channel
from ftpkit.deploy.fdlimit import REFUSAL
from ftpkit.deploy.handover import Handovers, Pings, answerDue, bytesWritten
from ftpkit.deploy.inflight import InFlight
from ftpkit.deploy.logpipe import PacedPipe
from ftpkit.deploy.rundelay import runDelay
from ftpkit.deploy.workersignals import SIGNALLED

WORKER_FD = 3
"""The descriptor number of a worker's Unix socket to the acceptor."""

WORKER_IGNORES = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT,
                  signal.SIGUSR1, signal.SIGUSR2)
"""The signals a worker ignores (the acceptor's business, or nobody's),
blocked from its spawn until it ignores them: their default actions would
end a worker still starting (a terminal's, a process group's, C{systemctl
kill}'s, which signals every process)."""


class WorkerProcess(ProcessProtocol):
    """
    One worker process, and the acceptor's end of its Unix socket: the
    receiver of its L{Channel}.

    @ivar sessions: sessions this worker holds.
    @ivar hosts: sessions this worker holds, per client address.
    @ivar ready: whether the worker said it serves.
    @ivar draining: whether the worker said it stops (it takes no more
        connections, and finishes its sessions' commands).
    @ivar stopAsked: the name of the signal for which the acceptor told
        it alone to stop (it was given C{SIGTERM} alone; it is handed no
        more connections), or C{None}.
    @ivar alive: whether the process runs.
    @ivar hung: whether it left a connection unacknowledged, or a ping
        unanswered, too long (it is being killed).
    @ivar handovers: the L{Handovers} it has not acknowledged.
    @ivar pings: its L{Pings}.
    @ivar inFlight: the L{InFlight} of its logged-in sessions and file
        transfers running, which its log records tell.
    @ivar channel: the L{Channel} of the acceptor's end of its Unix
        socket.
    @ivar pid: its process id once started (kept after it exited, when
        Twisted's process transport no longer has it).
    @ivar reloadPending: whether C{SIGHUP} came while it was not ready
        yet (it gets it once ready).
    @ivar slot: its place among the C{--workers}, from 0, which the worker
        started in its place takes (L{ftpkit.deploy.workers.WorkerPool}).
    @ivar uploadTag: what its temporary upload files are named with
        (L{ftpkit.shells.uploads.temporaryTag}), once it is ready; else
        C{None}.
    """

    log = Logger()

    def __init__(self, pool, channel, slot=0):
        """
        @param pool: the L{ftpkit.deploy.workers.WorkerPool} it belongs to.
        @param channel: the acceptor's end of the Unix socket
            (non-blocking).
        @param slot: its place among the C{--workers}, from 0.
        """
        self.pool = pool
        self.slot = slot
        self.channel = Channel(channel, pool.reactor)
        self.channel.receiver = self
        self.sessions = 0
        self.hosts = Counter()
        self.alive = True
        self.ready = False
        self.uploadTag = None
        self.reloadPending = False
        self.draining = False
        self.stopAsked = None
        self.hung = False
        self.handovers = Handovers()
        self.pings = Pings()
        self.inFlight = InFlight()
        self.logs = None
        self.logPipe = None
        self.pid = None
        self._answerCall = None
        self._cpuWaitMark = None

    def makeConnection(self, transport):
        """
        The process started: read its logs.

        @param transport: the process's transport.
        """
        from ftpkit.ops.workerlog import WorkerLogReader

        self.pid = transport.pid
        self.logs = WorkerLogReader(transport.pid, self.pool.echoes,
                                    reports=self.inFlight.recordReceived)
        ProcessProtocol.makeConnection(self, transport)

    def readLogs(self, descriptor):
        """
        Read the worker's log records from its log pipe, at a pace
        (L{PacedPipe}).

        @param descriptor: the pipe's read end (L{logPipe}), the worker's
            standard output at the other.
        """
        self.logPipe = PacedPipe(descriptor, self._recordsReceived,
                                 self.pool.reactor)

    def _recordsReceived(self, data):
        self.logs.recordsReceived(data)

    def childDataReceived(self, childFD, data):
        """
        Log the lines the worker wrote on standard error (its standard
        output is its log pipe, L{readLogs}).

        @param childFD: the descriptor it wrote to (2).
        @param data: the bytes it wrote.
        """
        self.logs.errorsReceived(data)

    def lineReceived(self, line, descriptors):
        """
        Act on one line of the worker (L{Channel}): ready, a connection
        taken, sent back or lost, a session ended, a login asked about
        or ended, a failed login, passive port theft, a ping answered,
        a signal it got, draining.

        @param line: the line.
        @param descriptors: descriptors sent with it (a worker sends
            none: they are closed).
        """
        for descriptor in descriptors:
            os.close(descriptor)
        kind, _, host = line.partition(b" ")
        if kind == b"ended":
            self.released(host.decode("ascii", "replace"))
        elif kind in (b"login", b"logout"):
            answer = self.pool.userSessions.handle(self, kind, host)
            if answer is not None:
                self.channel.sendLine(answer)
        elif kind in (b"failed", b"checking"):
            self.pool.loginFailed(kind, host)
        elif kind == b"theft":
            self.pool.theftSounded()
        elif kind == b"took":
            self._took()
        elif kind == b"pong":
            self.pings.answered()
            self._answered()
        elif kind == b"ready":
            self.ready = True
            self.uploadTag = host or None
            self.pool.workerReady(self)
        elif kind == SIGNALLED:
            self.pool.workerSignalled(self, host.decode("ascii", "replace"))
        elif kind == b"draining":
            self.draining = True
        elif kind == b"back":
            self._sentBack()
        elif kind == b"lost":
            self._lost()

    def channelClosed(self):
        """
        The worker closed its end (it exits): L{processEnded} follows.
        """

    def channelOverflowed(self):
        """
        The worker left too many lines unread: it is hung.
        """
        self.pool.workerOverflowed(self)

    def channelDrained(self):
        """
        The worker read every line that waited for it: it can be handed
        connections again.
        """
        self.pool.channelDrained()

    def _took(self):
        """
        The worker took the oldest connection handed to it: close the
        acceptor's copy.
        """
        connection = self.handovers.acknowledged()
        if connection is not None:
            connection.close()
        self._answered()

    def _takeAnswered(self):
        """
        The worker answered for the oldest connection handed to it
        without taking it: take it back.

        @return: C{(connection, host)}, its host forgotten, or C{None}
            when none was waiting.
        """
        oldest = self.handovers.takeOldest()
        self._answered()
        if oldest is not None:
            self._forget(oldest[1])
        return oldest

    def _sentBack(self):
        """
        The worker, draining, sent back the oldest connection handed to
        it, unopened: another worker takes it (it still counts against
        the limits).
        """
        oldest = self._takeAnswered()
        if oldest is None:
            return
        connection, host = oldest
        if not self.pool.handOver(connection, host,
                                  greeted=bool(bytesWritten(connection))):
            connection.close()

    def _lost(self):
        """
        The worker had no descriptor free for the oldest connection
        handed to it (the kernel dropped its copy): tell the client
        C{421}, as one process out of descriptors does, and close it.
        """
        oldest = self._takeAnswered()
        if oldest is None:
            return
        connection, host = oldest
        self.pool.limiter.release(host)
        self.pool.refuse(connection, host, REFUSAL)
        connection.close()
        self.pool.overLimit.retry()

    def _forget(self, host):
        """
        A connection handed to this worker is no longer its own (sent
        back, or left unacknowledged when it died); the limits still
        count it.

        @param host: its client's address.
        """
        self.sessions -= 1
        self.hosts[host] -= 1
        if not self.hosts[host]:
            del self.hosts[host]

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

        @return: how many it held (they ended with it).
        """
        held = sum(self.hosts.values())
        for host, count in list(self.hosts.items()):
            for _ in range(count):
                self.released(host)
        self.pool.userSessions.forgetWorker(self)
        return held

    def processEnded(self, reason):
        """
        The worker process exited.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self.alive = False
        self._stopWaiting()
        if self.logPipe is not None:
            self.logPipe.close()
        if self.logs is not None:
            self.logs.flush()
        self.pool.workerEnded(self, reason)

    def send(self, connection, host, greeted=False):
        """
        Hand a connection to this worker, keeping it until the worker
        acknowledges it.

        @param connection: the accepted socket (this worker owns it once
            sent).
        @param host: its client's address.
        @param greeted: whether its client has its greeting already (the
            line says C{HOST greeted}, and the session starts without
            one).
        @raise OSError: when it could not be sent (the caller still owns
            it): L{ChannelBusy} when lines wait for the worker.
        """
        line = host.encode("ascii") + (b" greeted" if greeted else b"")
        self.channel.sendDescriptor(line, connection.fileno())
        self.sessions += 1
        self.hosts[host] += 1
        self.handovers.sent(connection, host, self.pool.reactor.seconds())
        if self._answerCall is None:
            self._startWaiting()

    def ping(self):
        """
        Ask the worker whether its reactor runs, unless an earlier ping
        still waits for its answer. One that waits to be sent (the worker
        reads nothing), or cannot be, is waited for all the same.
        """
        if not self.pings.due():
            return
        self.channel.sendLine(b"ping")
        self.pings.sent(self.pool.reactor.seconds())
        if self._answerCall is None:
            self._startWaiting()

    def unacknowledged(self):
        """
        Take back the connections the worker did not acknowledge (it is
        gone), without releasing them from the limits.

        @return: a C{list} of C{(connection, host)}, each now the
            caller's.
        """
        taken = self.handovers.takeAll()
        for _, host in taken:
            self._forget(host)
        return taken

    def _answered(self):
        """
        An answer came: stop waiting when the worker owes none any more
        (else the check already scheduled looks again when it comes).
        """
        if answerDue(0, self.handovers, self.pings) is None:
            self._stopWaiting()

    def _waitForAnswer(self):
        """
        Check again when the first answer the worker owes is due
        (L{answerDue}); when it is overdue, the worker is hung.
        """
        self._answerCall = None
        due = answerDue(self.pool.reactor.seconds(), self.handovers,
                        self.pings)
        if due is None or self.hung:
            return
        left, what, timeout = due
        if left <= 0:
            left = self._waitedForCPU()
            if left <= 0:
                self.pool.workerHung(self, what, timeout)
                return
        self._answerCall = self.pool.reactor.callLater(
            left, self._waitForAnswer)

    def _startWaiting(self):
        """
        The worker owes an answer, and owed none: note how long it has
        waited for a CPU so far (L{_waitedForCPU}), and check when the
        answer is due.
        """
        self._cpuWaitMark = runDelay(self.pid)
        self._waitForAnswer()

    def _waitedForCPU(self):
        """
        An answer is overdue: how long the worker waited for a CPU since
        the last look (L{ftpkit.deploy.rundelay}), time it is given more.
        On a machine whose cores are busy it was runnable but not
        running: slow, not hung; killed, every session it served was cut
        (its clients read a connection reset). A worker stopped, stuck
        in a call, or looping with a core to itself waits for none; one
        looping on a busy core is given the time it waited, shorter at
        each look, and is killed once it ran as long as the timeout.

        @return: the seconds it waited (0 where the system does not
            tell).
        """
        mark, self._cpuWaitMark = self._cpuWaitMark, runDelay(self.pid)
        if mark is None or self._cpuWaitMark is None:
            return 0
        return self._cpuWaitMark - mark

    def _stopWaiting(self):
        if self._answerCall is not None:
            if self._answerCall.active():
                self._answerCall.cancel()
            self._answerCall = None
