"""
C{SIGHUP} reloads what can reload (L{ReloadOnHangup}): the C{reload}
callables of the realm and the checkers (L{reloadTargets}; the users
file has them) and of the TLS certificates. It never stops the server.
Importable from L{ftpkit.auth.realms} too, where it was first.
"""

import signal

from twisted.application import service
from twisted.logger import Logger

from ftpkit.auth.checkers import TextCredentialsChecker
from ftpkit.deploy.signalcopies import Copies

# The name its log lines carried when this lived in ftpkit.auth.realms.
_log = Logger(namespace="ftpkit.auth.realms")

RELOADING = "SIGHUP: reloading users and certificates"
"""The log line of a process that reloads for itself (one process, a
worker), whose C{count} field says how many sources reload."""

RELOADING_NOTHING = "SIGHUP: reloading nothing (no users file or certificate)"
"""The log line of a process that has nothing to reload."""

RELOADING_WORKERS = "SIGHUP: reloading {count} workers"
"""The log line of the acceptor of C{--workers}, which passes C{SIGHUP}
on to its workers (each logs its own line)."""


def announcement(targets, workers):
    """
    @param targets: how many callables reload.
    @param workers: under C{--workers}, how many workers the acceptor
        passes C{SIGHUP} on to; C{None} in a process that reloads for
        itself.
    @return: C{(format, count)}: the log line C{SIGHUP} writes, and its
        C{count} field.
    """
    if workers is not None:
        return RELOADING_WORKERS, workers
    return (RELOADING if targets else RELOADING_NOTHING), targets


def reloadTargets(objects):
    """
    Find what to reload on C{SIGHUP}: the C{reload} callables of a realm
    and checkers (unwrapping L{TextCredentialsChecker}s), each once.

    @param objects: realms and checkers.
    @return: a list of callables taking no argument.
    """
    targets = []
    for thing in objects:
        if isinstance(thing, TextCredentialsChecker):
            thing = thing.checker
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

    @ivar targets: the callables.
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

    def startService(self):
        """
        Install the C{SIGHUP} handler (unless not L{handled}).
        """
        service.Service.startService(self)
        if self.handled and hasattr(signal, "SIGHUP"):
            self._previous = signal.signal(signal.SIGHUP, self._hangup)

    def stopService(self):
        """
        Put the previous C{SIGHUP} handler back; where that was the
        default action (ending the process), ignore C{SIGHUP} instead: the
        server stops on its own, draining its sessions meanwhile, and a
        C{SIGHUP} then must not cut them.
        """
        service.Service.stopService(self)
        if hasattr(signal, "SIGHUP") and self._previous is not None:
            previous = self._previous
            if previous == signal.SIG_DFL:
                previous = signal.SIG_IGN
            signal.signal(signal.SIGHUP, previous)
            self._previous = None

    def _hangup(self, signum, frame):
        """
        The signal handler: L{reloadAll} in the reactor thread, once the
        window of the signal's copies is over (unless it is a copy).
        """
        self._copies.first(signum, self.reloadAll)

    def reloadAll(self):
        """
        Call every target; one that fails is logged and the others still
        run.
        """
        text, count = announcement(len(self.targets), self.workers)
        _log.info(text, count=count)
        for reload in self.targets:
            try:
                reload()
            except Exception:  # noqa: BLE001 (a bad reload must not stop the others)
                _log.failure("reload on SIGHUP failed")
