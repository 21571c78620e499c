"""
C{SIGHUP} reloads what can reload (L{ReloadOnHangup}): the C{reload}
callables of the realm and the checkers (L{reloadTargets}; the users
file has them) and of the TLS certificates. It never stops the server.
Once the server stops, it reloads nothing, and says so: each C{SIGHUP}
is one line in the log, a reload or L{NOT_RELOADING}.
Importable from L{ftpkit.auth.realms} too, where it was first.
"""

import signal

from twisted.application import service
from twisted.internet import defer
from twisted.logger import Logger

from ftpkit.auth.checkers import TextCredentialsChecker
from ftpkit.deploy.signalcopies import Copies
from ftpkit.deploy.workerrelay import Reloads
from ftpkit.ops.metrics import countReload

# The name its log lines carried when this lived in ftpkit.auth.realms.
_log = Logger(namespace="ftpkit.auth.realms")

RELOADING = "SIGHUP: reloading users and certificates"
"""The log line of a process that reloads for itself (one process, a
worker), whose C{count} field says how many sources reload."""

RELOADING_NOTHING = "SIGHUP: reloading nothing (no users file or certificate)"
"""The log line of a process that has nothing to reload."""

RELOADING_WORKERS = "SIGHUP: reloading {count} workers"
"""The log line of the acceptor of C{--workers}, which passes C{SIGHUP}
on to its workers (each logs its own line), when every one of them
reloads now."""

RELOADING_SOME_WORKERS = "SIGHUP: reloading {count} of {workers} workers now"
"""The start of the acceptor's line when some of its workers are not
serving: then L{ONCE_READY}, L{AS_THEY_START} or both."""

ONCE_READY = ", {starting} once ready (still starting)"
"""The part of the acceptor's line for the workers still starting: each
is told to reload once it is ready (it may have read the files before
they changed)."""

AS_THEY_START = ", {replaced} when started again"
"""The part of the acceptor's line for the workers not serving and not
starting (one that exited, one being killed, one draining after a
C{SIGTERM} of its own): each is replaced by one that reads the files as
it starts."""

RELOADING_ONCE_READY = ("SIGHUP: reloading {count} workers once ready "
                        "(still starting)")
"""The acceptor's line when every worker is still starting (a
C{systemctl reload} right after C{systemctl start}): the reload is
deferred until each is ready."""

NOT_RELOADING = "SIGHUP: not reloading, the server is stopping"
"""The line of a C{SIGHUP} that came as the server stops, or just before
it (its reload had not begun): a stopping server reloads nothing."""


def announcement(targets, workers, told=None, onceReady=0):
    """
    @param targets: how many callables reload.
    @param workers: under C{--workers}, how many workers the acceptor
        keeps; C{None} in a process that reloads for itself.
    @param told: under C{--workers}, how many of them the acceptor told
        to reload now (the others are starting or stopped).
    @param onceReady: under C{--workers}, how many of them are still
        starting, told to reload once ready.
    @return: C{(format, fields)}: the log line C{SIGHUP} writes, and its
        fields (C{count}, and the acceptor's C{workers}, C{starting} and
        C{replaced}).
    """
    if workers is not None:
        if told is None or told >= workers:
            return RELOADING_WORKERS, {"count": workers}
        replaced = max(workers - told - onceReady, 0)
        fields = {"count": told, "workers": workers, "starting": onceReady,
                  "replaced": replaced}
        if not told and not replaced:
            return RELOADING_ONCE_READY, dict(fields, count=onceReady)
        text = RELOADING_SOME_WORKERS
        if onceReady:
            text += ONCE_READY
        if replaced:
            text += AS_THEY_START
        return text, fields
    return (RELOADING if targets else RELOADING_NOTHING), {"count": targets}


def reloadTargets(objects):
    """
    Find what to reload on C{SIGHUP}: the C{reload} callables of a realm
    and checkers (unwrapping L{TextCredentialsChecker}s), each once; their
    C{reloadInThread} instead where they have one (a users or password
    file, L{ftpkit.auth.reloadingfile.ReloadingFile.reloadInThread},
    parsed off the reactor thread).

    @param objects: realms and checkers.
    @return: a list of callables taking no argument, returning a result
        or a Deferred of one (see L{ReloadOnHangup.reloadAll}).
    """
    targets = []
    for thing in objects:
        if isinstance(thing, TextCredentialsChecker):
            thing = thing.checker
        reload = getattr(thing, "reloadInThread", None)
        if not callable(reload):
            reload = getattr(thing, "reload", None)
        if callable(reload) and reload not in targets:
            targets.append(reload)
    return targets


class ReloadOnHangup(service.Service):
    """
    A service calling some callables (see L{reloadTargets}) when the
    process gets C{SIGHUP}, in the reactor thread. Installed even with
    no callable: C{SIGHUP}'s default action would end the process. Where
    there is no C{SIGHUP} (Windows) it does nothing. A worker of
    C{--workers} installs no handler: it reloads at its acceptor's word
    (L{ftpkit.deploy.workersignals}), through L{reloadAll}. The reload
    begins a moment after the signal, and a copy of the signal coming
    meanwhile is part of it (L{ftpkit.deploy.signalcopies}).

    From the moment the reactor begins to stop, a C{SIGHUP} reloads
    nothing and logs L{NOT_RELOADING}, as does one whose reload had not
    begun then: that reload was dropped with the stopping reactor (the
    process ended within the signal's moment, no line at all), or done in
    the drain only when the drain outlasted that moment. The handler
    stays until the process ends.

    @ivar targets: the callables; under C{--workers}, the acceptor's one
        returns how many workers it told to reload now, and how many once
        ready (L{ftpkit.deploy.workerrelay.Reloads}).
    @ivar workers: see L{announcement}.
    @ivar handled: whether it handles C{SIGHUP} itself.
    """

    def __init__(self, targets, reactor=None, workers=None, handled=True):
        """
        @param targets: callables taking no argument.
        @param reactor: the reactor to call them in.
        @param workers: see L{announcement}.
        @param handled: whether to handle C{SIGHUP} (C{False} in a worker,
            which leaves it ignored).
        """
        self.targets = list(targets)
        self.workers = workers
        self.handled = handled
        self._reactor = reactor
        self._previous = None
        self._copies = Copies(reactor)
        self._pending = 0
        self._stopping = False

    def startService(self):
        """
        Install the C{SIGHUP} handler (unless not L{handled}), and note
        when the reactor begins to stop. A C{SIGHUP} that came while the
        server started was held (blocked: L{ftpkit.deploy.tap.Options}),
        and reloads now; it was ignored, without a line.
        """
        service.Service.startService(self)
        if self.handled and hasattr(signal, "SIGHUP"):
            self._previous = signal.signal(signal.SIGHUP, self._hangup)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGHUP])
            reactor = self._reactor
            if reactor is None:
                from twisted.internet import reactor
            reactor.addSystemEventTrigger("before", "shutdown",
                                          self._stopBegins)

    def _stopBegins(self):
        """
        The reactor begins to stop: the reloads still waiting for their
        signal's moment are not done, each said in a line.
        """
        self._stopping = True
        pending, self._pending = self._pending, 0
        for _ in range(pending):
            _log.info(NOT_RELOADING)

    def stopService(self):
        """
        Put the previous C{SIGHUP} handler back; where that was the
        default action (ending the process), ignore C{SIGHUP} instead: the
        server stops on its own, draining its sessions meanwhile, and a
        C{SIGHUP} then must not cut them. Where the reactor stops, the
        handler stays: each C{SIGHUP} until the process ends is logged
        (L{NOT_RELOADING}).
        """
        service.Service.stopService(self)
        if self._stopping:
            return
        if hasattr(signal, "SIGHUP") and self._previous is not None:
            previous = self._previous
            if previous == signal.SIG_DFL:
                previous = signal.SIG_IGN
            signal.signal(signal.SIGHUP, previous)
            self._previous = None

    def _hangup(self, signum, frame):
        """
        The signal handler: L{reloadAll} in the reactor thread, once the
        window of the signal's copies is over (unless it is a copy); once
        the reactor stops, L{NOT_RELOADING} at once (the reactor may run
        no more).
        """
        if self._stopping:
            if self._copies.first(signum):
                _log.info(NOT_RELOADING)
        elif self._copies.first(signum, self._windowOver):
            self._pending += 1

    def _windowOver(self):
        """
        A signal's moment is over: reload, unless the stop began
        meanwhile (L{_stopBegins} said so).
        """
        if self._pending:
            self._pending -= 1
            self.reloadAll()

    def reloadAll(self):
        """
        Call every target; one that fails is logged and the others still
        run. A target may return a Deferred (a file parsed in a thread,
        L{ftpkit.auth.reloadingfile.ReloadingFile.reloadInThread}): the
        reactor serves meanwhile, the next target is called once its
        result is in (L{_reloadEach}), and the reload is over when every
        target's is. The line comes after them under
        C{--workers}, where it says how many workers the acceptor's
        target told. A process that reloads for itself counts the reload
        in its metrics (L{countReload}) once it is over: a failure where
        a target raised, failed or returned C{False} (a file that could
        not be used, the old one kept).

        @return: a Deferred firing with C{None} once the reload is over
            (at once where no target returned a Deferred).
        """
        if self.workers is None:
            text, fields = announcement(len(self.targets), None)
            _log.info(text, **fields)
        return self._reloadEach()

    @defer.inlineCallbacks
    def _reloadEach(self):
        """
        Call the targets one after the other, each once the previous
        one's result is in: their lines keep the order they always had
        (users, passwords, certificates).

        @return: a Deferred firing with C{None} once all are done.
        """
        told = []
        for reload in self.targets:
            told.append((yield defer.maybeDeferred(reload).addErrback(
                _reloadFailed)))
        self._reloaded(told)

    def _reloaded(self, told):
        """
        Every target's result is in: count the reload, or log the
        acceptor's line.

        @param told: the targets' results, L{_FAILED} for one that failed.
        """
        if self.workers is None and self.targets:
            # False: a file that could not be used (its line said why).
            countReload(not any(each is False or each is _FAILED
                                for each in told))
        if self.workers is not None:
            reloads = [each for each in told if isinstance(each, Reloads)]
            text, fields = announcement(
                len(self.targets), self.workers,
                sum(each.now for each in reloads),
                sum(each.onceReady for each in reloads))
            _log.info(text, **fields)


_FAILED = object()
"""What L{_reloadFailed} makes of a target that raised or failed."""


def _reloadFailed(reason):
    """
    Log a target that raised or failed; the other targets still run.

    @param reason: the L{Failure}.
    @return: L{_FAILED}.
    """
    _log.failure("reload on SIGHUP failed", reason)
    return _FAILED
