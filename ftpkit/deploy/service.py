"""
The one service builder: what C{twistd ftpkit}, C{python -m ftpkit} and
every process of C{--workers} run (L{makeService}).

Whatever the process, the service holds the same parts:

  - L{StartupWork}: raise the descriptor limit, import what a session
    needs (both while still privileged), have the reactor make log
    contexts only when used, freeze start-up objects;
  - L{SweepUploads} (one process, or the acceptor): what crashed processes
    left of uploads under the realm's root;
  - the serving part: listeners (one process), the acceptor with its
    worker processes (L{ftpkit.deploy.workers.WorkerPool}), or, in a worker, the
    connections the acceptor hands over (L{ftpkit.deploy.worker.ReceiveConnections});
  - L{ftpkit.ops.drain.Drain} where sessions are served: C{SIGTERM} lets them
    finish (C{--shutdown-grace});
  - L{ftpkit.deploy.hangup.ReloadOnHangup}: C{SIGHUP} reloads what can reload (the
    users file, the TLS certificate; the acceptor passes it on to its
    workers) and never stops the process;
  - L{ftpkit.deploy.stopsignals.StopOnce}: a second C{SIGTERM} or
    C{SIGINT} while stopping changes nothing, and C{SIGQUIT} stops now,
    cutting the transfers;
  - in a worker, instead of those two signal handlers,
    L{ftpkit.deploy.workersignals.LeaveToAcceptor}: its signals are its
    acceptor's, and it reloads and stops at the acceptor's word, so that
    a signal sent to every process of the server is acted on once;
  - L{KeepOnRotation} (run by C{twistd}): C{SIGUSR1} with no log file to
    rotate does not end the process;
  - in one process, L{ftpkit.deploy.listening.ListeningAnnouncement},
    after every listener: the start-up lines saying where it listens;
  - L{ftpkit.deploy.readynotify.NotifyReady} (one process, or the
    acceptor), last: systemd's C{READY=1} once the reactor runs.
"""

import signal

from twisted.application import service
from twisted.internet.error import CannotListenError
from twisted.logger import Logger

from ftpkit.deploy.cacheoptions import ListingCacheService
from ftpkit.deploy.hangup import ReloadOnHangup, reloadTargets
from ftpkit.deploy.keptfiles import warnExposedAll
from ftpkit.deploy.listening import ListeningAnnouncement, controlListening
from ftpkit.deploy.opsservice import addMetricsServices, dropUnsafeDirectory
from ftpkit.deploy.privilegedfirst import PrivilegedFirst
from ftpkit.deploy.readynotify import NotifyReady
from ftpkit.deploy.startfailure import (
    WorkersCannotStart,
    cannotListen,
    endStart,
)
from ftpkit.deploy.startupwork import StartupWork
from ftpkit.deploy.startwarnings import warnAtStart
from ftpkit.deploy.stoporder import stopInOrder
from ftpkit.deploy.stopsignals import StopOnce
from ftpkit.deploy.sweepservice import SweepUploads, sweptRoots
from ftpkit.deploy.workersignals import QUIT, RELOAD, STOP, LeaveToAcceptor
from ftpkit.ops.drain import Drain
from ftpkit.ops.logformat import unblockTwistOutput

_log = Logger()


class ServerService(PrivilegedFirst):
    """
    The service of one ftpkit process (what L{makeService} returns).
    C{twistd} and the workers' L{runService} call
    C{privilegedStartService}, then C{startService}; C{python -m twisted}
    (C{twist}) calls C{startService} alone, and what its children do in
    C{privilegedStartService} was left undone there: the descriptor limit
    not raised (L{StartupWork}), no C{listening} line from one process
    (L{ListeningAnnouncement}), and an address in use C{twist}'s traceback
    instead of one line (L{Listeners}). Where nothing called it, its
    C{startService} calls C{privilegedStartService} first
    (L{PrivilegedFirst}).
    """


class Listeners(service.MultiService):
    """
    The services that listen (the C{--listen} endpoints, or the acceptor
    of C{--workers}; the C{--metrics} endpoint): an address they cannot
    listen on (in use, not allowed, not on this machine) ends the process
    with one log line and exit status 1, instead of C{twistd}'s traceback.
    With C{--metrics}, the endpoint is stopped only after the drain (one
    process; a worker's session snapshots likewise) or the workers (the
    acceptor) that follow it in its L{Listeners}.
    """

    def __init__(self, name="listeners", inOrder=False, twistdOptions=None):
        """
        @param name: the service's name.
        @param inOrder: whether its children stop one at a time, the last
            added first, each once the one added after it has stopped
            (the C{--metrics} endpoint, added first, then answers while
            the drain or the workers added after it finish), instead of
            all at once.
        @param twistdOptions: the options of the C{twistd} running the
            process, told when it cannot listen (L{endStart}), or C{None}.
        """
        service.MultiService.__init__(self)
        self.name = name
        self.inOrder = inOrder
        self.twistdOptions = twistdOptions

    def stopService(self):
        """
        Stop the children, all at once or in order.

        @return: a Deferred firing once they all stopped.
        """
        if not self.inOrder:
            return service.MultiService.stopService(self)
        service.Service.stopService(self)
        return stopInOrder(self)

    def startService(self):
        """
        Start the children, or end the process saying why the workers
        of C{--workers} cannot start (L{WorkersCannotStart}).
        """
        try:
            service.MultiService.startService(self)
        except WorkersCannotStart as e:
            _log.critical("{why}", why=str(e))
            endStart(self.twistdOptions, str(e))

    def privilegedStartService(self):
        """
        Start listening, or end the process saying why not, naming the
        option of the child that could not (its C{option} attribute, such
        as C{--metrics tcp:9102}, when it has one: L{cannotListen}).
        """
        service.Service.privilegedStartService(self)
        for child in self:
            try:
                child.privilegedStartService()
            except (CannotListenError, OSError) as e:
                line = cannotListen(e, getattr(child, "option", None))
                _log.critical("{line}", line=line)
                endStart(self.twistdOptions, line)

class KeepOnRotation(service.Service):
    """
    C{SIGUSR1} is C{twistd}'s log rotation, which it handles only for a
    log file: logging to standard output (C{-n}) or C{--syslog}, the
    signal kept its default action, and a C{logrotate} C{postrotate} or
    C{systemctl kill -s USR1} ended the server without a line. At start
    (after C{twistd} set its log up), a C{SIGUSR1} nobody handles is
    ignored. The options blocked it until then
    (L{ftpkit.deploy.tap.Options.parseOptions}: ignored there, it would
    keep C{twistd} from installing its rotation): one that came meanwhile
    is a rotation, or nothing, now.
    """

    def startService(self):
        """
        Ignore C{SIGUSR1} if it has no handler, and unblock it.
        """
        service.Service.startService(self)
        if signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL:
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])


def makeService(options, workerChannel=None, workerLog=None):
    """
    Build the service of one ftpkit process.

    @param options: a parsed L{ftpkit.deploy.tap.Options}.
    @param workerChannel: in a worker process of C{--workers}, its
        L{ftpkit.deploy.channel.Channel} to the acceptor; C{None}
        otherwise.
    @param workerLog: in a worker, the L{ftpkit.ops.workerlog.HeldText}
        its log goes through (L{ftpkit.ops.workerlog.beginWorkerLogging}),
        where its sessions' reports to the acceptor are held
        (L{ftpkit.deploy.inflight.InFlightReports}); C{None} to report
        nothing.
    @return: a L{ServerService}: L{StartupWork}, the serving part
        (one listening service per C{--listen}, the acceptor, or a
        worker's receiver), a L{Drain} where sessions are served, a
        L{ReloadOnHangup}, a L{StopOnce} (in a worker, a
        L{LeaveToAcceptor}), in one process a L{ListeningAnnouncement}
        and, run by C{twistd}, a L{KeepOnRotation}; last, except in a
        worker, a L{NotifyReady}.
    """
    config = options["config"]
    if workerChannel is None:
        warnAtStart(options)
        if config.metrics is not None:
            dropUnsafeDirectory()
    twistdOptions = getattr(options, "parent", None)
    if workerChannel is None:
        unblockTwistOutput(twistdOptions)
    server = ServerService()
    StartupWork(config.umask).setServiceParent(server)
    roots = sweptRoots([options.get("realmObject")] + [
        host.realm for host in config.virtualHosts])
    sweeper = None
    if workerChannel is None and roots:
        sweeper = SweepUploads(roots[0], whileServing=True,
                               others=roots[1:])
        sweeper.setServiceParent(server)
    pool = receiving = workers = None
    if workerChannel is None and options["workers"] > 1:
        pool = _addAcceptor(server, options, sweeper, twistdOptions)
        # The workers reload; the acceptor warns of exposed files, once.
        reloads = [pool.reloadWorkers, warnExposedAll]
        hurries = [pool.hurry]
        workers = options["workers"]
    else:
        drain, receiving = _addSessions(server, options, workerChannel,
                                        workerLog, twistdOptions)
        hurries = [drain.hurry]
        reloads = reloadTargets([options["realmObject"],
                                 *options.get("credCheckers", []),
                                 config.tlsContextFactory,
                                 *(host.realm for host in config.virtualHosts)])
    hangup = ReloadOnHangup(reloads, workers=workers,
                            handled=workerChannel is None)
    hangup.setServiceParent(server)
    if workerChannel is None:
        stopper = StopOnce(hurries=hurries)
        stopper.setServiceParent(server)
        if pool is not None:
            pool.stopSignals = stopper
    else:
        leaving = LeaveToAcceptor(workerChannel, hurries=hurries)
        leaving.setServiceParent(server)
        receiving.words = {RELOAD: hangup.reloadAll, STOP: leaving.stop,
                           QUIT: leaving.quit}
    if workerChannel is None and twistdOptions is not None:
        KeepOnRotation().setServiceParent(server)
    if workerChannel is None:
        # Last: its READY=1 comes after every other service started.
        NotifyReady().setServiceParent(server)
    return server


def _addAcceptor(server, options, sweeper, twistdOptions):
    """
    Add the acceptor of C{--workers}: its listeners, and behind them the
    worker processes it hands connections to.

    @param server: the process' L{service.MultiService}.
    @param options: a parsed L{ftpkit.deploy.tap.Options}.
    @param sweeper: the L{SweepUploads} of the realms' roots, or C{None}.
    @param twistdOptions: C{twistd}'s options, or C{None}.
    @return: the L{ftpkit.deploy.workers.WorkerPool}.
    """
    from ftpkit.deploy.keptfiles import keepOnly
    from ftpkit.deploy.quotaledgers import LedgerDirectory
    from ftpkit.deploy.startdirectory import workerArgv
    from ftpkit.deploy.workers import WorkerPool

    # Its users files are kept for the workers: the values their
    # sessions use are worked out there, not here at each change.
    keepOnly()
    config = options["config"]
    # The workers get the same options, --workers among them: each
    # needs to know how many share the passive ports (passiveLimit);
    # their relative paths are taken from this process' directory.
    pool = WorkerPool(options["workers"], options["listen"],
                      workerArgv(options.argv), config,
                      cpus=options.get("worker-cpus"))
    if sweeper is not None:
        pool.uploadsHooks.append(sweeper.sweepCut)
        pool.readyHooks.append(sweeper.workerReady)
        sweeper.pool = pool
    listeners = Listeners(inOrder=True, twistdOptions=twistdOptions)
    # Before the pool, to be removed after it: the workers share
    # their users' quota usage in it.
    LedgerDirectory().setServiceParent(listeners)
    addMetricsServices(server, config, pool=pool, listeners=listeners)
    listeners.setServiceParent(server)
    pool.setServiceParent(listeners)
    return pool


def _addSessions(server, options, workerChannel, workerLog, twistdOptions):
    """
    Add what serves sessions in this process: in one process its
    listeners, in a worker the connections its acceptor hands over; then
    the L{Drain} that lets them finish at C{SIGTERM}.

    @param server: the process' L{service.MultiService}.
    @param options: a parsed L{ftpkit.deploy.tap.Options}.
    @param workerChannel: see L{makeService}.
    @param workerLog: see L{makeService}.
    @param twistdOptions: C{twistd}'s options, or C{None}.
    @return: C{(drain, receiving)}: the L{Drain}, and in a worker its
        L{ftpkit.deploy.worker.ReceiveConnections} (C{None} in one
        process).
    """
    from ftpkit.deploy.controlfactory import makeFactory

    config = options["config"]
    ListingCacheService(config.listingCacheSize).setServiceParent(server)
    receiving = None
    if workerChannel is None:
        factory = makeFactory(options)
        listeners = Listeners(twistdOptions=twistdOptions)
        listeners.setServiceParent(server)
        announcement = ListeningAnnouncement()
        for given in options["listen"]:
            listening = controlListening(given, factory,
                                         listened=announcement.add)
            listening.option = f"--listen {given}"
            listening.setServiceParent(listeners)
    else:
        from ftpkit.deploy.worker import ReceiveConnections

        factory = _workerFactory(options, workerChannel, workerLog)
        receiving = ReceiveConnections(
            workerChannel, factory, listens=options["listen"],
            trusted=config.trustedProxies,
            tlsContextFactory=config.tlsContextFactory,
        )
        receiving.setServiceParent(server)
    draining = server
    if config.metrics is not None:
        draining = Listeners("draining", inOrder=True,
                             twistdOptions=twistdOptions)
        draining.setServiceParent(server)
    addMetricsServices(server, config, factory=factory,
                       worker=workerChannel is not None,
                       listeners=draining)
    drain = Drain(factory, config.shutdownGrace)
    drain.setServiceParent(draining)
    if workerChannel is None:
        # After every listener, the --metrics endpoint's too.
        announcement.setServiceParent(server)
    return drain, receiving


def _workerFactory(options, workerChannel, workerLog):
    """
    The session factory of a worker of C{--workers}: what its sessions
    share with the other workers' (sessions per user, failed logins,
    theft alarms) goes through the acceptor.

    @param options: a parsed L{ftpkit.deploy.tap.Options}.
    @param workerChannel: see L{makeService}.
    @param workerLog: see L{makeService}.
    @return: the L{ftpkit.control.server.FTPFactory}.
    """
    from ftpkit.deploy.controlfactory import makeFactory
    from ftpkit.deploy.inflight import InFlightReports
    from ftpkit.deploy.sharedfailures import WorkerAddressFailures
    from ftpkit.deploy.sharedtheft import WorkerTheftAlarm
    from ftpkit.deploy.worker import ReportingLimiter

    config = options["config"]
    factory = makeFactory(options, limiter=ReportingLimiter(workerChannel))
    if config.maxSessionsPerUser is not None:
        from ftpkit.auth.sharedusers import WorkerUserSessions

        factory.userSessions = WorkerUserSessions(workerChannel)
    factory.loginFailures = WorkerAddressFailures(
        workerChannel, config.loginFailureDelay,
        config.ipv6PrefixLength, config.workers)
    factory.theftAlarm = WorkerTheftAlarm(factory.reactor, workerChannel)
    # Told to the acceptor through the log pipe, for the lines it writes
    # should this worker die (ftpkit.deploy.inflight).
    if workerLog is not None:
        factory.inFlight = InFlightReports(workerLog, factory.reactor)
    return factory


def runService(server, reactor=None):
    """
    Run a service the way C{twistd} does, for processes started without
    it (the workers): start it, stop it (waiting for it) when the reactor
    stops, and run the reactor.

    @param server: an L{service.IService}.
    @param reactor: the reactor (the global one when C{None}).
    """
    if reactor is None:
        from twisted.internet import reactor
    server.privilegedStartService()
    server.startService()
    reactor.addSystemEventTrigger("before", "shutdown", server.stopService)
    reactor.run()
