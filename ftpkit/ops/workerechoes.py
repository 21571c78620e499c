"""
One line for what every worker of C{--workers} logs for one cause: a
C{SIGHUP} reload's outcome (the users file or the TLS certificate
reloaded, or not, and why), which each worker logs as it reloads on its
own. The acceptor (L{WorkerEchoes}) holds such a line from the first
worker until every other worker logged the same (or L{ECHO_WINDOW}
passed), then logs it once, naming the workers: an operator saw one
error per worker for one bad file, and counted failures twice.

The lines are those whose format is in L{SAME_IN_EVERY_WORKER}; their
formats live here, where the modules that log them take them from.
"""

from twisted.logger import formatEvent

USERS_NOT_RELOADED = "users file not reloaded, keeping the old users: {why}"
"""A users or password file that cannot be used; the old users stay."""

USERS_RELOADED_ONE = "reloaded {count} user from {path}"
"""A users file reloaded, naming one user."""

USERS_RELOADED = "reloaded {count} users from {path}"
"""A users file reloaded, naming several users."""

USERS_RELOADED_NONE = ("reloaded {path}, which names no users: nobody can "
                       "log in with it")
"""A users file reloaded, naming nobody."""

CERTIFICATE_NOT_RELOADED = ("TLS certificate not reloaded, keeping the old "
                            "one: {why}")
"""A certificate or key that cannot be used; the old pair stays."""

CERTIFICATE_RELOADED = ("reloaded the TLS certificate from {path} (valid "
                        "until {until} UTC)")
"""A certificate and key reloaded."""

SAME_IN_EVERY_WORKER = frozenset({
    USERS_NOT_RELOADED, USERS_RELOADED_ONE, USERS_RELOADED,
    USERS_RELOADED_NONE, CERTIFICATE_NOT_RELOADED, CERTIFICATE_RELOADED})
"""The formats of the lines every worker logs for one cause."""

ECHO_WINDOW = 2.0
"""Seconds the acceptor waits, after a worker logged one of those lines,
for the other workers to log the same; then it logs what it has."""


class WorkerEchoes:
    """
    Between the workers' log readers (L{ftpkit.ops.workerlog}) and the
    acceptor's log: the lines of L{SAME_IN_EVERY_WORKER} with the same
    level, namespace and text from several workers become one, whose
    C{log_system} names them all (C{workers 12,34 ftpkit.auth.users#error})
    and whose C{ftpkit_workers} lists them, both by pid
    (C{ftpkit_worker} stays the first to log it). Other events pass at once.
    """

    def __init__(self, publish, expected, reactor, window=ECHO_WINDOW):
        """
        @param publish: a callable taking an event (the acceptor's log).
        @param expected: a callable returning the pids of the workers
            that would log the same line now (those running).
        @param reactor: the reactor, for the window's end.
        @param window: see L{ECHO_WINDOW}.
        """
        self._publish = publish
        self._expected = expected
        self._reactor = reactor
        self._window = window
        self._held = {}

    def __call__(self, event):
        """
        Log C{event}, or hold it until the other workers logged it.

        @param event: an event of a worker (L{ftpkit.ops.workerlog}).
        """
        pid = event.get("ftpkit_worker")
        if pid is None or event.get("log_format") not in SAME_IN_EVERY_WORKER:
            self._publish(event)
            return
        key = (getattr(event.get("log_level"), "name", None),
               event.get("log_namespace"), formatEvent(event))
        held = self._held.get(key)
        if held is not None and pid in held[1]:
            # The same worker again: a second cause; the first is done.
            self._release(key)
            held = None
        if held is None:
            later = self._reactor.callLater(self._window, self._release, key)
            held = self._held[key] = (event, [], later)
        held[1].append(pid)
        if set(self._expected()) <= set(held[1]):
            self._release(key)

    def _release(self, key):
        """
        Log the line held under C{key}, naming the workers that logged it
        in the order of their pids (in the order they logged it, one
        reload's line named C{workers 22,11} and the next C{workers
        11,22}: two systems for one pair of workers).

        @param key: its level, namespace and text.
        """
        event, pids, later = self._held.pop(key)
        if later.active():
            later.cancel()
        if len(pids) > 1:
            pids = sorted(pids)
            system = event.get("log_system", "").split(" ", 2)[-1]
            event = dict(event, ftpkit_workers=pids,
                         log_system="workers {} {}".format(
                             ",".join(map(str, pids)), system))
        self._publish(event)

    def flush(self):
        """
        Log every line held now (a worker exited: it will log no more).
        """
        for key in list(self._held):
            self._release(key)
