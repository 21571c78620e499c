"""
A quota usage shared by the workers of C{--workers}: L{SharedQuotaUsage}
keeps the counts of a L{QuotaUsage} in a home's
L{ftpkit.shells.quotaledger.Ledger}, in the directory the acceptor names
in L{LEDGERS_VARIABLE}; L{quotaUsage} picks it, or the one process'
L{QuotaUsage} when there is no such directory, the same one for a home
whichever realm asks.
"""

import hashlib
import math
import os
import weakref

from twisted.internet import defer
from twisted.python.failure import Failure

from ftpkit.errors import fromOSError
from ftpkit.shells.diskthreads import inWalksLane
from ftpkit.shells.quotaledger import Ledger
from ftpkit.shells.quotas import Footprint, QuotaUsage

LEDGERS_VARIABLE = "FTPKIT_QUOTA_LEDGERS"
"""
The environment variable naming the directory of the ledgers, set by the
acceptor of C{--workers} for its workers.
"""

GRANT = 1 << 20
"""
The bytes a process takes from a ledger beyond those an upload needs now,
for its next chunks (L{SharedQuotaUsage.reserveBytes}).
"""

_ledgers = {}
"""This process's L{Ledger} of each file: one slot per process."""


def ledgerFor(directory, home):
    """
    @param directory: the directory of the ledgers.
    @param home: an absolute home directory (or any name of what a quota
        counts).
    @return: the L{Ledger} of C{home} in C{directory}, the same one each
        time in a process.
    """
    name = hashlib.sha256(home.encode("utf-8", "surrogateescape")).hexdigest()
    path = os.path.join(directory, name)
    if path not in _ledgers:
        _ledgers[path] = Ledger(path)
    return _ledgers[path]


_usages = weakref.WeakValueDictionary()
"""This process's L{QuotaUsage} of each home, where no ledger is shared:
every realm serving the home counts it in one. Realms of their own (a
C{--vhost} whose realm serves C{--root}, beside the default one) each
counted it alone, so a user with a session on each host stored as many
times the quota."""


def quotaUsage(home, measure, run=inWalksLane,
               environ=os.environ):
    """
    @param home: what the quota counts, the same name in every process:
        an absolute home directory, a URL.
    @param measure: see L{QuotaUsage}.
    @param run: see L{QuotaUsage}.
    @param environ: the environment.
    @return: a L{SharedQuotaUsage} when C{environ} names a directory of
        ledgers (in a worker of C{--workers}); otherwise the process's
        L{QuotaUsage} of C{home}, made (with C{measure} and C{run}) when
        no other is in use.
    @raise OSError: when the ledger cannot be opened.
    """
    directory = environ.get(LEDGERS_VARIABLE)
    if directory is None:
        usage = _usages.get(home)
        if usage is None:
            usage = _usages[home] = QuotaUsage(measure, run)
        return usage
    return SharedQuotaUsage(measure, ledgerFor(directory, home), run)


class HomeUsages:
    """
    The quota usages of a realm's homes, each shared by every session of
    its home and kept until the realm's users are reloaded (the users
    file or database, whose homes and quotas may have changed): then each
    is measured again.
    """

    def __init__(self, generation):
        """
        @param generation: returns the users' generation, which a reload
            changes.
        """
        self._generation = generation
        self._seen = generation()
        self._usages = {}

    def find(self, home):
        """
        @param home: the key of a home.
        @return: the usage kept for it, or C{None}; after a reload, every
            usage kept is invalidated first.
        """
        generation = self._generation()
        if generation != self._seen:
            self._seen = generation
            for usage in self._usages.values():
                usage.invalidate()
        return self._usages.get(home)

    def keep(self, home, usage):
        """
        @param home: the key of a home L{find} found nothing for.
        @param usage: the usage its sessions share from now on.
        @return: C{usage}.
        """
        self._usages[home] = usage
        return usage


LOGIN_MEASURE_AGE = 60.0
"""Seconds after which a login to a home of a user database shared by
several servers (L{LoginMeasures}) measures it again, its quota
unchanged: what the other servers stored since is then counted."""


class LoginMeasures:
    """
    When a login to a home of a user database that several servers share
    (PostgreSQL: their sessions change the same homes) measures its usage
    again (L{due}): when its quota changed, or its last such measurement
    is L{LOGIN_MEASURE_AGE} old. Every login measured it: a client
    logging in again and again had the server walk the home each time
    (C{docs/virtual-users.rst} says how slow), where a users file keeps
    the usage.
    """

    def __init__(self, seconds, age=LOGIN_MEASURE_AGE):
        """
        @param seconds: returns the time, in seconds.
        @param age: see L{LOGIN_MEASURE_AGE}.
        """
        self._seconds = seconds
        self._age = age
        self._last = {}

    def due(self, home, quota):
        """
        A user logs in to C{home}.

        @param home: the key of the home.
        @param quota: the user's quota settings, any value compared with
            C{==} (bytes and files).
        @return: whether its usage should be measured again (it is then
            counted as measured now).
        """
        now = self._seconds()
        last = self._last.get(home)
        if last is not None and last[0] == quota and (
                now - last[1] < self._age):
            return False
        self._last[home] = (quota, now)
        return True


class SharedQuotaUsage(QuotaUsage):
    """
    A L{QuotaUsage} whose counts are a L{Ledger}'s, shared with the other
    processes of the server: each check and change reads and writes the
    ledger. L{used} and L{files} are those of the last L{current}.
    L{reads} stays this process' own (what its downloads hold).

    @ivar inFlight: this process's bytes in flight (the ledger counts
        those it was granted: L{reserveBytes}).
    """

    def __init__(self, measure, ledger, run=inWalksLane):
        """
        @param measure: see L{QuotaUsage}.
        @param ledger: the home's L{Ledger}.
        @param run: see L{QuotaUsage}.
        """
        QuotaUsage.__init__(self, measure, run)
        self._ledger = ledger
        self._generation = None
        self._granted = 0
        self._grantBound = math.inf

    def current(self):
        """
        See L{QuotaUsage.current}: measures when the ledger is not fresh
        (never measured, or invalidated by any process).
        """
        state = self._ledger.state()
        if state.fresh:
            with self.lock:
                self.used, self.files = state.used, state.files
            self.stale = False
            return defer.succeed(self.used)
        if not self._waiters:
            self._generation = state.generation
        self.stale = True
        return QuotaUsage.current(self)

    def _measured(self, result):
        """
        See L{QuotaUsage._measured}: the measurement goes into the ledger.
        One the ledger cannot keep (its file system failing) fails the
        measurement's waiters, which waited for it forever, as did every
        later one.
        """
        if not isinstance(result, Failure):
            footprint = (result if isinstance(result, Footprint)
                         else Footprint(result, 0))
            try:
                self._ledger.measured(self._generation, footprint.bytes,
                                      footprint.files)
            except OSError as e:
                result = Failure(fromOSError(e))
        QuotaUsage._measured(self, result)

    def occupied(self):
        """
        See L{QuotaUsage.occupied}: every process's bytes (not the room
        this one took ahead, which its uploads may fill).
        """
        with self.lock:
            state = self._ledger.state()
            spare = self._granted - self.inFlight
        return state.used + state.inFlight - spare + self.reads.held

    def reserveBytes(self, size, limit):
        """
        See L{QuotaUsage.reserveBytes}: against every process's bytes.
        The ledger is asked for L{GRANT} bytes more than needed where they
        fit, which later calls take without asking, so that an upload
        goes to the ledger once a L{GRANT}, not once a chunk; a grant
        taken under a limit serves only calls allowing at least as much.
        """
        if limit is not None:
            limit -= self.reads.held
        bound = math.inf if limit is None else limit
        with self.lock:
            need = size
            if bound >= self._grantBound:
                need -= self._granted - self.inFlight
            if need > 0:
                ledger = self._ledger
                if ledger.reserveBytes(need + GRANT, limit):
                    self._granted += need + GRANT
                elif ledger.reserveBytes(need, limit):
                    self._granted += need
                else:
                    return False
                self._grantBound = min(self._grantBound, bound)
            self.inFlight += size
            return True

    def releaseBytes(self, size):
        """
        See L{QuotaUsage.releaseBytes}: what this process holds in the
        ledger beyond its bytes in flight is given back past L{GRANT}, and
        whole when none are left.
        """
        with self.lock:
            self.inFlight -= size
            spare = self._granted - self.inFlight
            excess = spare if not self.inFlight else spare - GRANT
            if excess > 0:
                self._ledger.releaseBytes(excess)
                self._granted -= excess
            if not self.inFlight:
                self._grantBound = math.inf

    def adjust(self, delta, files=0):
        """
        See L{QuotaUsage.adjust}: the ledger's counts change.
        """
        QuotaUsage.adjust(self, delta, files)
        self._ledger.adjust(delta, files)

    def reserveFile(self, limit):
        """
        See L{QuotaUsage.reserveFile}: against every process's files.
        """
        with self.lock:
            if not self._ledger.reserveFile(limit):
                return False
            self.filesInFlight += 1
            return True

    def settleFile(self, made):
        """
        See L{QuotaUsage.settleFile}.
        """
        QuotaUsage.settleFile(self, made)
        self._ledger.settleFile(made)

    def invalidate(self):
        """
        See L{QuotaUsage.invalidate}: every process measures again.
        """
        QuotaUsage.invalidate(self)
        self._ledger.invalidate()
