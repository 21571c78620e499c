"""
Users read from a file and read again when it changes: the one place
deciding when a users file (C{--auth users:PATH}) or a password file
(C{--auth file:PATH}) is read again, and what a reload that fails or
succeeds logs; and when the line saying that every local user may
change or read the file (L{ftpkit.auth.exposedfiles}) is written: at
start and at each reload.
"""

import errno
import os
import stat

from twisted.internet import defer
from twisted.python.failure import Failure

from ftpkit.auth.exposedfiles import (  # noqa: F401 (importable from here, as before)
    PASSWORDS,
    USERS,
    exposure,
    warnExposed,
)
from ftpkit.auth.outofsight import builtOutOfSight, releaseInSlices
from ftpkit.blocking import deferToUnwaitedThread
from ftpkit.deploy.keptfiles import checkedByAcceptor, keptContent, register
from ftpkit.ops.workerechoes import (
    USERS_NOT_RELOADED,
    USERS_RELOADED,
    USERS_RELOADED_NONE,
    USERS_RELOADED_ONE,
)

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))
"""What L{readRegularFile} calls a file that is not a regular one."""

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The most bytes L{readRegularFile} reads: 64 MiB, some 300,000 users
with their hashes, or hundreds of certificates. A bigger file (a 2 GB log
given as C{--users} by mistake) was read whole into memory at start and
at each C{SIGHUP}."""

TOO_BIG = (f"larger than {MAX_FILE_BYTES >> 20} MiB, the most a"
           " configuration file may hold")
"""The C{strerror} of L{readRegularFile} for a file past L{MAX_FILE_BYTES}."""


FRESH_WAIT = 0.5
"""The most seconds a login waits for a reading of the file under way
(L{ReloadingFile.whenCurrent}), counted from the reading's start: a file
of a few thousand users is read and parsed by then, so a user just added
logs in at once; past it the login is answered from the users read
before. Each login waited for the whole parse: 9.4 s for 60,002 users on
a loaded machine (session 55)."""


def readRegularFile(path, limit=MAX_FILE_BYTES):
    """
    Read the whole of a file the server takes its configuration from (a
    users or password file, a certificate or key), at start or on
    C{SIGHUP}, without waiting: a FIFO (nobody writing) held the open,
    and C{/dev/zero} the read, for ever, at start or, the file replaced
    by one, in the reactor at a reload. A file past C{limit} is refused
    before it is read, and one that grows past it while read is refused
    too, having been read no further.

    @param path: the file.
    @param limit: the most bytes it may hold (L{MAX_FILE_BYTES}).
    @return: its content, C{bytes}.
    @raise OSError: when it cannot be opened or read, is not a regular
        file (its C{strerror} then says what it is), or holds more than
        C{limit} bytes (C{EFBIG}, L{TOO_BIG} for the default limit).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(descriptor).st_mode
    except BaseException:
        os.close(descriptor)
        raise
    for isKind, kind in _KINDS:
        if isKind(mode):
            os.close(descriptor)
            raise OSError(0, f"{kind}, not a regular file", path)
    tooBig = OSError(errno.EFBIG, TOO_BIG if limit == MAX_FILE_BYTES
                     else f"larger than {limit} bytes", path)
    with os.fdopen(descriptor, "rb") as f:
        if os.fstat(f.fileno()).st_size > limit:
            raise tooBig
        content = f.read(limit + 1)
    if len(content) > limit:
        raise tooBig
    return content


def readUsersSource(path, error, what):
    """
    L{readRegularFile}, a failure said as the file's own error: the one
    wording of "cannot read" for the users and the password file.

    @param path: the file.
    @param error: the exception class to raise, taking one message.
    @param what: what the file is, for the message (C{"users file"}).
    @return: its content, C{bytes}.
    @raise error: C{cannot read WHAT 'PATH': WHY} when it cannot be read.
    """
    try:
        return readRegularFile(path)
    except OSError as e:
        raise error(f"cannot read {what} {path!r}: {e.strerror}") from None


def inThread(function, *args):
    """
    Read and parse a file in a thread whose result the server's stop
    does not wait for (L{ftpkit.blocking.deferToUnwaitedThread}): a
    C{SIGTERM} coming while a large users file was parsed waited for the
    parse, whose users nobody would serve.

    @param function: the reading, blocking.
    @param args: its arguments.
    @return: a Deferred firing with its result, in the reactor thread.
    """
    from twisted.internet import reactor

    return deferToUnwaitedThread(reactor, "ftpkit-reload", function, *args)


def fileSignature(path):
    """
    @param path: a file.
    @return: what tells whether it changed (modification time, size and
        inode), or C{None} when it cannot be stat'ed.
    """
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class ReloadingFile:
    """
    The users of one file, read at start and again on C{SIGHUP}
    (L{reloadInThread}) or when a login finds it changed (L{whenCurrent},
    one C{stat}), in a thread, and put in force once read, in one step:
    until then the logins are answered from the users read before (after
    L{FRESH_WAIT} at most). A file that became unusable is one error
    line, and the users read last stay in force until it is fixed; so it
    is for a worker of C{--workers} started again meanwhile, which has
    them from its acceptor (L{ftpkit.deploy.keptfiles}, where every such
    file is registered).

    @ivar path: the file's absolute path.
    @ivar users: what the parser returned for it.
    @ivar content: the bytes those users were parsed from.
    @ivar clock: the L{twisted.internet.interfaces.IReactorTime} the
        logins' wait (L{whenCurrent}) is measured with, or C{None} for
        the reactor.
    """

    clock = None

    _derived = (None, {})
    """C{(users, values)}: the values L{derived} gave, by key, and the
    users they are of; replaced with C{users}."""

    clearText = False
    """Whether the file keeps passwords in clear, rather than their
    hashes (what L{warnExposed} says reading it gives away)."""

    content = None
    _installs = 0
    _readingSince = 0.0

    def __init__(self, path, read, parse, log):
        """
        Read the file; in a worker of C{--workers}, one that cannot be
        used is read from the content its acceptor kept of it, when it
        kept any, with the error a failed reload logs.

        @param path: the file.
        @param read: a callable taking a path and returning its content,
            C{bytes}, raising C{ValueError} (naming the file) when it
            cannot be read.
        @param parse: a callable taking that content and the path, and
            returning the users it names, raising C{ValueError} (naming
            the file and the entry at fault) when it cannot be used.
        @param log: the L{twisted.logger.Logger} reloads are logged with
            (its namespace is the file's kind's module, as it always was).
        @raise ValueError: from C{read} or C{parse}, unless the acceptor
            kept the file's content.
        """
        self.path = os.path.abspath(path)
        self._read = read
        self._parse = parse
        self._log = log
        self._signature = fileSignature(self.path)
        self._reloads = defer.DeferredLock()
        self._derivations = {}
        try:
            self.content, self.users, _ = self._load(path)
        except ValueError as e:
            kept = keptContent(self.path)
            if kept is None:
                raise
            self.content, self.users = kept, parse(kept, path)
            self._notReloaded(e)
        else:
            # A worker's acceptor said it at start, once for them all.
            if not checkedByAcceptor():
                self.warnExposed()
        register(self)

    def _load(self, path):
        """
        @param path: the file.
        @return: C{(content, users, values)}: the users parsed again only
            where the content is not the one they were parsed from
            (C{parse} gives the same users for the same bytes), and the
            values L{derived} was asked for, worked out for them here
            (where not known yet), with the parse: both built with no
            garbage collection meanwhile, and frozen
            (L{ftpkit.auth.outofsight}).
        @raise ValueError: see L{__init__}.
        """
        content = self._read(path)
        if self.content is not None and content == self.content:
            # The same bytes name the same users: a SIGHUP for a renewed
            # certificate costs a read of the file, not a parse of every
            # entry again.
            return (content,) + self._withValues(self.users)
        return (content,) + builtOutOfSight(self._parsed, content, path)

    def _parsed(self, content, path):
        """
        @param content: the file's bytes.
        @param path: the file.
        @return: C{(users, values)}: the users C{content} names, and the
            values L{derived} was asked for, worked out for them.
        @raise ValueError: see L{__init__}.
        """
        return self._withValues(self._parse(content, path))

    def _withValues(self, users):
        """
        @param users: users read from the file.
        @return: C{(users, values)}: them, and the values L{derived} was
            asked for, worked out for them where not known yet.
        """
        known, values = self._derived
        if known is not users:
            values = {}
        return users, {
            key: values[key] if key in values else key[0](users, *key[1:])
            for key in tuple(self._derivations)}

    def derived(self, function, *args):
        """
        A value worked out from every user (L{ftpkit.auth.usersviews}):
        from the first time it is asked for on, worked out again with
        each parse of the file, in the parse's thread, and put in force
        with the users it is of (no login sees users without it); that
        first time, or for users put in place by hand, here and now.

        @param function: gives the value of the users and C{args}; pure,
            safe to call in another thread.
        @param args: its other arguments, hashable.
        @return: C{function(users, *args)} for the users in force.
        """
        key = (function,) + args
        self._derivations[key] = None
        known, values = self._derived
        if known is not self.users:
            values = {}
            self._derived = (self.users, values)
        if key not in values:
            values[key] = function(self.users, *args)
        return values[key]

    def keepOnly(self):
        """
        Work out none of the values L{derived} was asked for with the
        parses from now on, and forget those worked out: what the
        acceptor of C{--workers} keeps the file for
        (L{ftpkit.deploy.keptfiles.keepOnly}) is its content, for its
        workers, which serve the sessions those values are for.
        """
        self._derivations = {}
        self._derived = (None, {})

    def _notReloaded(self, error):
        """
        Log that the file could not be used, and the old users stay.

        @param error: the C{ValueError} saying why.
        """
        self._log.error(USERS_NOT_RELOADED, why=str(error))

    def warnExposed(self):
        """
        Log a warning when every local user may change the file, or read
        it (L{ftpkit.auth.exposedfiles}): at start, at each reload, and
        in the acceptor of C{--workers} at each C{SIGHUP}
        (L{ftpkit.deploy.keptfiles.warnExposedAll}).
        """
        warnExposed(self._log, self.path,
                    PASSWORDS if self.clearText else USERS)

    def reload(self):
        """
        Read the file again, here and now (L{reloadIfChanged}'s;
        L{reloadInThread} is C{SIGHUP}'s, L{whenCurrent} a login's).

        @return: whether the users were replaced.
        """
        self._signature = fileSignature(self.path)
        try:
            loaded = self._load(self.path)
        except ValueError as e:
            self._notReloaded(e)
            return False
        return self._replace(loaded)

    def reloadInThread(self):
        """
        Read and parse the file again in a thread, and put the users in
        force once done, in the reactor: what C{SIGHUP} calls
        (L{ftpkit.deploy.hangup.reloadTargets}). A large users file held
        the reactor, every session with it, for its whole parse.
        Meanwhile the sessions logged in serve on, and a login waits for
        the new users L{FRESH_WAIT} at most (L{whenCurrent}). Reloads run
        one after the other, in the order asked:
        an older file's parse never replaces a newer one's.

        @return: a Deferred firing with whether the users were replaced
            (C{False}: the file could not be used, logged as by
            L{reload}, the old users kept).
        """
        return self._reloads.run(self._parseInThread)

    def _parseInThread(self):
        """
        See L{reloadInThread}.

        @return: a Deferred firing with whether the users were replaced.
        """
        self._signature = fileSignature(self.path)
        installs = self._installs

        def parsed(loaded):
            if self._installs != installs:
                # A caller that cannot wait found the file changed again
                # meanwhile and read it here and now (reloadIfChanged, a
                # UsersDatabase.get): what it put in force is newer than
                # what this thread read.
                return False
            return self._replace(loaded)

        def failed(reason):
            reason.trap(ValueError)
            self._notReloaded(reason.value)
            return False

        return self._reading().addCallbacks(parsed, failed)

    def _reading(self):
        """
        Read and parse the file in a thread (L{inThread}); what the
        logins coming meanwhile wait for, L{FRESH_WAIT} from now at most
        (L{whenCurrent}).

        @return: a Deferred firing with L{_load}'s result, or failing with
            its C{ValueError}.
        """
        self._readingSince = self._clock().seconds()
        return inThread(self._load, self.path)

    def _clock(self):
        """
        @return: L{clock}, or the reactor.
        """
        if self.clock is not None:
            return self.clock
        from twisted.internet import reactor

        return reactor

    def _replace(self, loaded):
        """
        Put users just read in force, and log it.

        @param loaded: C{(content, users, values)}, as L{_load} returns.
        @return: C{True}.
        """
        self._install(loaded)
        users = self.users
        if users:
            self._log.info(
                USERS_RELOADED_ONE if len(users) == 1 else USERS_RELOADED,
                count=len(users), path=self.path)
        else:
            self._log.warn(USERS_RELOADED_NONE, count=0, path=self.path)
        # A worker's acceptor says it, once for them all.
        if not checkedByAcceptor():
            self.warnExposed()
        return True

    def refresh(self):
        """
        Read the file again, without a line, if it changed since it was
        last read: what the acceptor of C{--workers} keeps for its
        workers (L{ftpkit.deploy.keptfiles}). A file that cannot be used
        changes nothing.
        """
        signature = fileSignature(self.path)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            loaded = self._load(self.path)
        except ValueError:
            return
        self._install(loaded)

    def refreshInThread(self):
        """
        L{refresh}, the file read and parsed in a thread: what the
        acceptor of C{--workers} does at each round of pings
        (L{ftpkit.deploy.keptfiles.refreshAllInThread}), which held its
        reactor, every connection it hands on with it, for the parse of
        a large file that changed. After the reloads asked before it
        (L{reloadInThread}).

        @return: a Deferred firing with C{None} once done.
        """
        signature = fileSignature(self.path)
        if signature == self._signature:
            return defer.succeed(None)
        self._signature = signature

        def unusable(reason):
            reason.trap(ValueError)

        def parse():
            installs = self._installs

            def parsed(loaded):
                # As in _parseInThread: not over a newer reading.
                if self._installs == installs:
                    self._install(loaded)

            return self._reading().addCallbacks(parsed, unusable)

        return self._reloads.run(parse)

    def _install(self, loaded):
        """
        Put users just read in force, without a line; the users they
        replace are freed a slice at a time
        (L{ftpkit.auth.outofsight.releaseInSlices}).

        @param loaded: C{(content, users, values)}, as L{_load} returns.
        """
        self._installs += 1
        old = self.users
        self.content, self.users, values = loaded
        self._derived = (self.users, values)
        if isinstance(old, dict) and old is not self.users:
            releaseInSlices(old)
        self.reloaded()

    def keptFiles(self):
        """
        @return: C{{path: content}}, the content last found good.
        """
        return {self.path: self.content}

    def reloaded(self):
        """
        Called when a reload replaced the users; does nothing here.
        """

    def reloadIfChanged(self):
        """
        L{reload} if the file's modification time, size or inode changed
        since it was last read: here and now, in the reactor, for a
        caller that cannot wait (a login waits instead, L{whenCurrent}).

        @return: whether the users were replaced.
        """
        if fileSignature(self.path) == self._signature:
            return False
        return self.reload()

    def whenCurrent(self):
        """
        What a login asks before it looks a user up: whether the users in
        force may answer it. A file changed since it was last read (one
        C{stat}) is read and parsed again in a thread (after the readings
        asked before, as L{reloadInThread}'s), logged as L{reload} logs
        it. While a reading runs (this one, C{SIGHUP}'s, the acceptor's
        refresh), the logins wait for it until L{FRESH_WAIT} after its
        start, all of them for that same reading, and are answered from
        the users read before from then on, until the new ones are in
        force: a large file's parse made each login wait for all of it
        (and, before, parsed it in the reactor, holding every session:
        20 seconds for 60,000 users). So a user just removed from a large
        file can still log in until its parse ends, and one just added
        cannot yet.

        @return: C{None} when the users in force answer (no reading under
            way, or it began L{FRESH_WAIT} ago); else a Deferred firing
            with C{None} once the readings under way are done (a file
            that cannot be used keeps the old users, logged once), or
            L{FRESH_WAIT} after the reading's start if that comes first.
        """
        signature = fileSignature(self.path)
        if signature != self._signature:
            # Said read now: a login coming before the thread starts
            # waits for it rather than starting another.
            self._signature = signature
            self._reloads.run(self._parseInThread)
        if not self._reloads.locked:
            return None
        clock = self._clock()
        left = self._readingSince + FRESH_WAIT - clock.seconds()
        if left <= 0:
            return None
        return self._reloads.run(_done).addTimeout(
            left, clock, onTimeoutCancel=_waitedEnough)


def _done():
    """
    What a login waiting for the readings under way runs once they are
    done (L{ReloadingFile.whenCurrent}): nothing.
    """


def _waitedEnough(result, timeout):
    """
    What a login waiting for the readings under way gets when
    L{FRESH_WAIT} passed first (L{ReloadingFile.whenCurrent}): the users
    in force answer it.

    @param result: the wait's result: a
        L{twisted.python.failure.Failure} of its C{CancelledError}.
    @param timeout: the seconds it waited.
    @return: C{None}.
    """
    if isinstance(result, Failure):
        result.trap(defer.CancelledError)
