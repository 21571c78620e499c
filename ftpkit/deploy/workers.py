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

A worker's sessions are released when it dies, and the acceptor logs
the file transfers and sessions it cut, which it told it of
(L{ftpkit.deploy.inflight}). The acceptor keeps each
connection it handed over until the worker acknowledges it
(L{ftpkit.deploy.handover}): those a worker had not taken when it died go
to another worker (without a second greeting where the dead one had
greeted the client already), and a worker that leaves one unacknowledged too long
(stopped, or stuck) is killed and replaced; so is one that does not
answer the acceptor's ping, sent every few seconds, in time (it would
leave its clients hanging while it is not handed connections). A worker that dies before
it is ready is started again after a delay doubling at each such failure
(L{ftpkit.deploy.restarts}). Until every worker of the first start is
ready, clients wait in the listen queue: accepted as soon as one was
ready, the sessions of a start under load all went to it, for their
lifetime. A worker that never gets ready does not hold the others: the
acceptor accepts L{ALL_READY_WAIT} after the first is ready, or at once
when the others died starting. When no worker is ready after
L{STARTUP_WAIT}, or after every worker died, clients get C{421}. The
workers' logs go to the acceptor's (L{ftpkit.ops.workerlog}); C{SIGHUP} is
passed on to them, and C{SIGTERM} drains them (the acceptor waits): the
acceptor's word, a line, is what a worker acts on, not a signal of its
own (L{ftpkit.deploy.workersignals}).

This module is the supervisor (L{WorkerPool}); the acceptor's other jobs
have modules of their own: listening and accepting
(L{ftpkit.deploy.acceptor}), what becomes of each connection
(L{ftpkit.deploy.dispatch}), the handle on one worker process
(L{ftpkit.deploy.workerprocess}) and starting it
(L{ftpkit.deploy.workerspawn}), the workers retired while it runs
(L{ftpkit.deploy.workerretiring}), what a worker that exited held
(L{ftpkit.deploy.deadworker}) and its replacement
(L{ftpkit.deploy.restarts}), what is passed on to every worker
(L{ftpkit.deploy.workerrelay}), and stopping them all
(L{ftpkit.deploy.workerstop}). The worker's side is
L{ftpkit.deploy.worker}.
"""


from twisted.application import service
from twisted.internet import task
from twisted.internet.error import CannotListenError
from twisted.logger import Logger, globalLogPublisher

from ftpkit.auth.sharedusers import AcceptorUserSessions
from ftpkit.control.implicitendpoints import isImplicitTLS
from ftpkit.deploy import workerrelay
from ftpkit.deploy.acceptor import (
    Acceptor,
    acceptorAddress,
    listeningSocket,
    parseListenAddress,
)
from ftpkit.deploy.deadworker import releaseHeld, tellEnded
from ftpkit.deploy.dispatch import Dispatcher
from ftpkit.deploy.handover import PING_INTERVAL
from ftpkit.deploy.inflight import deathReason
from ftpkit.deploy.keptfiles import refreshAllInThread
from ftpkit.deploy.listening import refuseQueued
from ftpkit.deploy.pinports import pinnedArgv
from ftpkit.deploy.restarts import (
    FIRST_RESTART_DELAY,
    LONGEST_RESTART_DELAY,
    Restarts,
    restartDelay,
)
from ftpkit.deploy.sharedfailures import AcceptorFailures
from ftpkit.deploy.sharedtheft import THEFT, AcceptorTheftAlarm
from ftpkit.deploy.startfailure import WorkersCannotStart
from ftpkit.deploy.workercpus import PINNED_LINE, cpuForSlot
from ftpkit.deploy.workerprocess import WORKER_FD, WorkerProcess
from ftpkit.deploy.workerretiring import RetiringWorkers
from ftpkit.deploy.workerspawn import interpreterProblem, startWorkerProcess
from ftpkit.deploy.workerstop import STOP_MARGIN, WorkersStop
from ftpkit.ops.drain import SHUTTING_DOWN
from ftpkit.ops.listeninglog import logListening
from ftpkit.ops.workerechoes import WorkerEchoes
from ftpkit.ops.xferlog import XferLog
from ftpkit.protocol.numbertext import decimalValue

_Worker = WorkerProcess
"""The name L{WorkerProcess} had before it had a module of its own."""

# interpreterProblem and STOP_MARGIN moved to workerspawn and workerstop
# (session 47); code outside the package imports them from here still.
__all__ = ["WorkerPool", "WorkerProcess", "WORKER_FD", "WorkersCannotStart",
           "interpreterProblem",
           "acceptorAddress", "listeningSocket", "parseListenAddress",
           "restartDelay", "STARTUP_WAIT", "FIRST_RESTART_DELAY",
           "LONGEST_RESTART_DELAY", "STOP_MARGIN"]

STARTUP_WAIT = 30.0
"""
Seconds the acceptor leaves clients in the kernel's listen queue while no
worker has started yet, so that a client connecting as the server starts
is served a moment later instead of refused.
"""

ALL_READY_WAIT = 10.0
"""
Seconds the acceptor, once the first of its workers is ready, leaves
clients in the listen queue for the others of the first start (each
connection goes to the ready worker with the fewest sessions): a worker
slower to start than that (or stuck) is not waited for any longer.
"""


class WorkerPool(RetiringWorkers, Dispatcher, service.Service):
    """
    The acceptor: listens (L{Acceptor}), dispatches (L{Dispatcher}), and
    keeps its worker processes (L{WorkerProcess}) running: starts them,
    starts another when one dies, passes C{SIGHUP} on, and stops them.

    @ivar workers: the L{WorkerProcess} of each worker running.
    @ivar endedHooks: callables given the process id of each worker that
        exited.
    @ivar readyHooks: callables given each L{WorkerProcess} that says it
        is ready, before it is handed a connection.
    @ivar uploadsHooks: callables given the upload tag of each worker that
        exited (L{WorkerProcess.uploadTag}), when it had one, unless the
        server stops.
    @ivar userSessions: the L{AcceptorUserSessions} counting every
        worker's logins (C{--max-sessions-per-user}).
    @ivar loginFailures: the L{AcceptorFailures} counting every worker's
        failed logins per address.
    @ivar theftAlarm: the L{AcceptorTheftAlarm}: when a worker last
        refused a stranger on a passive port.
    @ivar stopSignals: the process's L{ftpkit.deploy.stopsignals.StopOnce},
        which knows from the moment a C{SIGTERM} or C{SIGINT} came that the
        acceptor stops (its service stops a moment later); or C{None}.
    """

    log = Logger()

    def __init__(self, count, listens, argv, config, reactor=None,
                 cpus=None):
        """
        @param count: the number of worker processes.
        @param listens: C{tcp:}/C{tcp6:}/C{ssl:} endpoint descriptions,
            each possibly behind C{haproxy:}.
        @param argv: the options each worker is started with (the
            server's own, C{--workers} among them).
        @param config: the L{ftpkit.config.ServerConfig} (for its limits).
        @param reactor: the reactor, or C{None} for the global one.
        @param cpus: the CPUs of C{--worker-cpus}, or C{None}: any.
        """
        if reactor is None:
            from twisted.internet import reactor
        Dispatcher.__init__(self, config, reactor)
        self.count = count
        self.cpus = cpus
        self.userSessions = AcceptorUserSessions(config.maxSessionsPerUser)
        self.loginFailures = AcceptorFailures(config.ipv6PrefixLength)
        self.theftAlarm = AcceptorTheftAlarm()
        if config.xferlog is not None:
            XferLog(config.xferlog, reactor, late=True).subscribeTo(
                self.events)
        self.endedHooks = []
        self.uploadsHooks = []
        self.readyHooks = []
        self.listens = list(listens)
        self.addresses = [acceptorAddress(each) for each in listens]
        self.argv = argv
        self.grace = config.shutdownGrace
        self.workers = []
        # A reload's outcome, logged by each worker: one line for them all.
        self.echoes = WorkerEchoes(globalLogPublisher, self._running, reactor)
        self.stopSignals = None
        self._restarts = Restarts(reactor)
        self._acceptors = []
        self._accepting = False
        self._acceptLater = None
        self._stopping = False
        self._stop = WorkersStop(reactor)
        self._pinging = task.LoopingCall(self.pingWorkers)
        self._pinging.clock = reactor

    def privilegedStartService(self):
        """
        Bind the listening sockets while still privileged (port 21), before
        twistd switches to C{--uid}; then hold the spare descriptor.
        """
        service.Service.privilegedStartService(self)
        for (family, host, port, proxied), given in zip(self.addresses,
                                                         self.listens):
            try:
                listening = listeningSocket(family, host, port)
            except CannotListenError as e:
                # Named in the line saying so (ftpkit.deploy.service).
                e.option = f"--listen {given}"
                raise
            self._acceptors.append(Acceptor(self, listening, proxied))
            if isImplicitTLS(given):
                self.tlsListeners.append(listening.getsockname()[:2])
        self.argv = pinnedArgv(self.argv, [
            acceptor.socket.getsockname()[1] for acceptor in self._acceptors])
        # Before any service starts, as a one-process listener's
        # (ftpkit.deploy.listening.ControlListening.privilegedStartService).
        self.spare.reserve()

    def startService(self):
        """
        Start the workers once the reactor runs; accept once all are ready
        (or L{ALL_READY_WAIT} after the first is, or after
        L{STARTUP_WAIT} with none).

        @raise WorkersCannotStart: when this account may not run the
            interpreter (L{interpreterProblem}).
        """
        problem = interpreterProblem()
        if problem is not None:
            raise WorkersCannotStart(problem)
        service.Service.startService(self)
        if not self._acceptors:
            self.privilegedStartService()
        for acceptor in self._acceptors:
            logListening(*acceptor.socket.getsockname()[:2])
        self.reactor.callWhenRunning(self._startWorkers)
        self._acceptLater = self.reactor.callLater(
            STARTUP_WAIT, self._waitOver)
        self._pinging.start(PING_INTERVAL, now=False)

    def _startWorkers(self):
        """
        Start the workers, unless the acceptor stops already: once the
        reactor runs, whose handlers stop them at a C{SIGTERM}. Started
        with the service, before, a C{SIGTERM} in that moment ended the
        acceptor at once (L{ftpkit.deploy.startinterrupt}), and left the
        workers it had started running without it until each was ready
        and found it gone.
        """
        if self._stopping:
            return
        for _ in range(self.count):
            self._startWorker()

    def _acceptOnceAllReady(self):
        """
        Accept when some worker is ready and none of the others is still
        starting; with some still starting, accept L{ALL_READY_WAIT}
        later at the latest.
        """
        if self._accepting or not self.readyWorkers():
            return
        if all(worker.ready for worker in self.workers):
            self._startAccepting()
        elif self._acceptLater.getTime() > (self.reactor.seconds()
                                            + ALL_READY_WAIT):
            self._acceptLater.reset(ALL_READY_WAIT)

    def _waitOver(self):
        """
        The wait for the workers is over: say which were not ready in
        time, and accept.
        """
        ready = self.readyWorkers()
        if ready:
            self.log.warn("{count} workers not ready {wait} s after the "
                          "first; accepting without them",
                          count=len(self.workers) - len(ready),
                          wait=decimalValue(ALL_READY_WAIT))
        else:
            self.log.error("no worker ready after {wait} s; clients get "
                           "421 until one is", wait=decimalValue(STARTUP_WAIT))
        self._startAccepting()

    def _startAccepting(self):
        """
        Take connections from the listen queue from now on.
        """
        if self._accepting or self._stopping:
            return
        self._accepting = True
        if self._acceptLater is not None and self._acceptLater.active():
            self._acceptLater.cancel()
        for acceptor in self._acceptors:
            self.reactor.addReader(acceptor)

    def _startWorker(self):
        """
        Start a worker in the first slot no running worker holds: a dead
        one's replacement takes its slot, and its CPU (C{--worker-cpus}).
        """
        held = {worker.slot for worker in self.workers}
        slot = min(set(range(self.count)) - held, default=0)
        cpu = cpuForSlot(self.cpus, slot)
        started = startWorkerProcess(
            self.reactor, self, slot, self.argv, cpu,
            # Tried again later, as a worker that failed to start.
            lambda e: self._restarts.spawnFailed(e, self._startWorker))
        if started is None:
            return
        worker, logs = started
        if cpu is not None:
            self.log.info(PINNED_LINE, pid=worker.pid, cpu=cpu)
        worker.readLogs(logs)
        self.reactor.addReader(worker.channel)
        self.workers.append(worker)

    def workerReady(self, worker):
        """
        A worker serves: workers no longer fail at start. It is told the
        recent failed logins of every address, and the theft alarm if it
        may still sound (it may replace a worker that knew them).

        @param worker: the worker that said it is ready.
        """
        for hook in self.readyHooks:
            hook(worker)
        self._restarts.workerReady()
        self.log.info("worker {pid} ready", pid=worker.transport.pid)
        if worker.reloadPending:
            workerrelay.hangUp(worker)
        now = self.reactor.seconds()
        for line in self.loginFailures.recentLines(now):
            workerrelay.tellAll([worker], line)
        if self.theftAlarm.mayBeSounding(now):
            workerrelay.tellAll([worker], THEFT)
        self._acceptOnceAllReady()
        self.channelDrained()

    def workerEnded(self, worker, reason):
        """
        A worker exited: release its sessions, hand the connections it had
        not taken to the others and, unless shutting down, start another
        (after L{ftpkit.deploy.restarts.restartDelay} when it never got
        ready).

        @param worker: its L{ftpkit.deploy.workerprocess.WorkerProcess}.
        @param reason: why it exited (its L{Failure}).
        """
        self.workers.remove(worker)
        # It logs no more: what the others logged as it did is said now.
        self.echoes.flush()
        cut = releaseHeld(self.reactor, worker, self.handOver)
        # Its cut transfers' and sessions' lines, which it wrote none of.
        for event in worker.inFlight.cutEvents(
                self.reactor.seconds(), deathReason(worker.pid, reason)):
            self.events.publish(event)
        # A worker still starting when the signal came to every process
        # (it had no handler yet) exits at once, maybe before the
        # acceptor's service stops: no error, no replacement.
        stopping = self.stopping()
        tellEnded(worker, self.endedHooks,
                  () if stopping else self.uploadsHooks)
        if stopping:
            self._stop.workerGone(self.workers)
            return
        self._acceptOnceAllReady()
        self._restarts.workerEnded(worker, reason, self._startWorker, cut)

    def loginFailed(self, kind, host):
        """
        A worker reported a failed login, or a held address's check it
        started: tell every worker (L{ftpkit.deploy.sharedfailures}).

        @param kind: C{b"failed"} or C{b"checking"}.
        @param host: the client's address, C{bytes}.
        """
        workerrelay.tellAll(self.workers, self.loginFailures.handle(
            kind, host, self.reactor.seconds()))

    def theftSounded(self):
        """
        A worker refused a stranger on a passive port: tell every worker
        (L{ftpkit.deploy.sharedtheft}).
        """
        self.theftAlarm.told(self.reactor.seconds())
        workerrelay.tellAll(self.workers, THEFT)

    def stopping(self):
        """
        @return: whether the acceptor stops: its service stopped, or a
            C{SIGTERM} or C{SIGINT} came, whose handler has run already
            while its service stops only at the reactor's next turn.
        """
        return self._stopping or bool(
            self.stopSignals is not None and self.stopSignals.stopping)

    def hurry(self):
        """
        The acceptor's C{SIGQUIT} (L{ftpkit.deploy.stopsignals.StopOnce.quit}):
        tell every worker to cut its transfers now and stop
        (L{ftpkit.deploy.workerrelay.quitAll}); those still running
        L{STOP_MARGIN} later are killed.
        """
        self.grace = 0
        self._stop.hurry(self.workers)

    def reloadWorkers(self):
        """
        Pass C{SIGHUP} on to the workers that serve (each reloads its
        users file and certificate; L{ftpkit.deploy.workerrelay.reload}),
        those still starting once they are ready. The others read the
        files as they are now when they start: a worker that died, one
        being killed (hung), one draining after its own C{SIGTERM}, each
        replaced by a new one.

        @return: L{ftpkit.deploy.workerrelay.Reloads}: how many workers
            reload now, and how many once ready.
        """
        return workerrelay.reload([
            worker for worker in self.workers
            if worker.alive and not worker.hung and not worker.draining
            and not worker.stopAsked])

    def pingWorkers(self):
        """
        Ask every ready worker whether its reactor runs (one that does not
        answer in time is hung, L{WorkerProcess.ping}): an idle worker
        stopped or stuck is found too, not only one handed a connection,
        and one draining its sessions. The users files that changed are
        read again meanwhile, in a thread, what a worker started later
        serves should they be bad then (L{ftpkit.deploy.keptfiles}).
        """
        refreshAllInThread()
        for worker in self.workers:
            if worker.alive and worker.ready and not worker.hung:
                worker.ping()

    def _running(self):
        """
        @return: the pids of the workers that run and answer, each of
            which logs a reload's outcome (L{WorkerEchoes}).
        """
        return [worker.pid for worker in self.workers
                if worker.alive and not worker.hung]

    def readyWorkers(self):
        """
        @return: the workers that can take a session now (none while
            stopping, nor one draining).
        """
        if self._stopping:
            return []
        return [worker for worker in self.workers
                if worker.alive and worker.ready and not worker.hung
                and not worker.draining and not worker.stopAsked]

    def _refuseStopping(self, connection, host):
        """
        Refuse a client left in the listen queue as the acceptor stops:
        C{421} and its C{connectionRefused} event (L{Dispatcher.refuse}).
        """
        self.refuse(connection, host, SHUTTING_DOWN)

    def stopService(self):
        """
        Stop listening, and stop the workers: each drains its sessions
        (C{SIGTERM}), one still starting is given C{SIGTERM} at once;
        those still running after their grace and L{STOP_MARGIN} are
        killed.

        @return: a Deferred firing once every worker exited.
        """
        self._stopping = True
        if self._pinging.running:
            self._pinging.stop()
        self.spare.release()
        self._restarts.cancel()
        if self._acceptLater is not None and self._acceptLater.active():
            self._acceptLater.cancel()
        for acceptor in self._acceptors:
            self.reactor.removeReader(acceptor)
            # Those still queued get 421, not the reset of the close.
            refuseQueued(acceptor.socket, self._refuseStopping)
            acceptor.socket.close()
        self._acceptors = []
        self.stopDispatching()
        service.Service.stopService(self)
        return self._stop.stop(self.workers, self.grace)
