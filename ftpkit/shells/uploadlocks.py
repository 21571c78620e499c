"""
Which temporary upload files an upload still writes (blocking functions,
run in disk threads).

The sweep at start (L{ftpkit.shells.uploads.sweep}) takes every temporary
upload file it finds for a crashed upload's. But the process that starts
need not be alone on its root: a node of a scale-out set restarting on the
shared directory every node serves, or a second server started on a
directory one already serves. It took their running uploads' files away
from under them (made them partial uploads), and those uploads failed
with C{550} once complete.

So an upload holds an exclusive C{flock} on its temporary file for as
long as the file is open (L{holdTemporary}), until it is renamed onto
its target, and the sweep takes a file only while it holds it itself
(L{heldAlone}); a file an upload makes is its own only once held and
still named (L{holdNamed}). The lock belongs to the open file, so it goes
when the upload ends, or with its process, whatever killed it. On NFS,
Linux makes it a lock on the whole file that the other clients see; on a
file system without locks, the sweep takes every file, as before.

An upload that creates a file writes it with no name until it is complete
(L{ftpkit.shells.uploads.createAnonymous}): nothing in its directory shows
it, so C{RMD} removed the directory under it, and the upload failed once
complete. Such an upload holds a shared C{flock} on its directory
(L{holdDirectory}), and C{RMD} removes a directory only while it can hold
it alone (L{mayRemoveDirectory}), in every process serving the tree.

An upload written into its target in place (C{APPE}, C{REST} and C{STOR}
without a partial upload) holds an exclusive lock on the target
(L{holdInPlace}), and a second one refuses to start while it is held:
their bytes would interleave, and each client be told it stored its own
(vsftpd's C{lock_upload_files} makes the second wait instead).

An upload that replaces the target once complete (a C{STOR} into a
temporary file, a resume of the target's partial upload) holds a shared
lock on the file it replaces (L{holdTarget}) until it ends, so that no
upload writes that file in place meanwhile: a client resuming on another
connection while the first still ran (lftp reconnecting after
C{net:timeout}, before the server saw the first connection go; a second
resume while one runs) got the old file's size from C{SIZE}, wrote the
new file's rest after the old file's start and was told C{226}; and the
first upload, cut later, kept nothing (its target had changed), leaving
that mixed file.

An upload into a temporary file puts it in place by its path, so a
directory renamed meanwhile (by a session of any process serving the
tree) took the file along, and the upload failed once complete
(C{550}); such a rename is refused while a held temporary file is below
the directory (L{heldBelow}), as the fsspec realm's on C{file://}
(L{ftpkit.shells.fsspectemporaries}); the rename looks at the first
L{WALK_LIMIT} entries of that tree and no further, and a rename that
goes on past them is logged (L{RENAME_WALK_CUT}), at most
L{WALK_CUT_LINES} lines a minute in a process (L{walkCuts}).
"""

import contextlib
import fcntl
import os

from twisted.internet.defer import succeed
from twisted.logger import Logger
from twisted.python import threadable

from ftpkit.errors import FileBusy
from ftpkit.ops.logthrottle import LogThrottle, Summaries, skippedNote
from ftpkit.shells.cachedopen import openWithoutLinks

_OPEN_FLAGS = (os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK
               | getattr(os, "O_CLOEXEC", 0))
"""How L{heldAlone} opens a file: for writing, as an exclusive lock on NFS
needs; no link followed, no wait for a FIFO's other end."""


def _holdAlone(fd):
    """
    Take an exclusive C{flock} on the open file C{fd}, without waiting.

    @param fd: a descriptor of the file or directory.
    @return: C{False} when another open file holds a lock on it, else
        C{True} (also on a file system without locks, where nothing is
        held and the caller goes on unguarded).
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


def holdTemporary(fd):
    """
    Mark the temporary upload file open as C{fd} as written, until that
    open file is closed.

    @param fd: its descriptor, open for writing.
    @return: C{False} when another open file holds it already (another
        upload's), else C{True} (also where nothing can be held: no locks
        on the file system).
    """
    return _holdAlone(fd)


_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def holdDirectory(path):
    """
    Mark a directory as receiving an upload of a new file, until the
    descriptor returned is closed (L{mayRemoveDirectory} says no
    meanwhile).

    @param path: the directory's resolved path, C{bytes}, no link on it.
    @return: a descriptor of it, or C{None} while a C{RMD} of it runs (the
        caller then makes a file that has a name, which that C{RMD} sees).
    @raise OSError: when it cannot be opened.
    """
    return holdOpenDirectory(openWithoutLinks(path, _DIRECTORY_FLAGS))


def holdOpenDirectory(fd):
    """
    L{holdDirectory} for a directory open already.

    @param fd: a descriptor of the directory, read-only, which this takes:
        it is returned, or closed.
    @return: C{fd}, or C{None} while a C{RMD} of it runs.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        # No locks on this file system: held by nobody's count.
        pass
    return fd


def mayRemoveDirectory(fd):
    """
    Hold a directory for its removal: from now until C{fd} is closed, no
    upload of a new file starts in it (L{holdDirectory}).

    @param fd: a descriptor of the directory, read-only.
    @return: whether no upload of a new file runs in it (C{True} when
        that cannot be told: no locks on the file system).
    """
    return _holdAlone(fd)


FILE_UPLOADING = "The file is being uploaded; try again later"
"""The reply (C{450}) to a rename of a file an upload writes in place,
in every shell that refuses it (a directory's rename above an upload has
its own: the upload is not in it but below)."""

MOVED_WHILE_OPENED = ("File moved, replaced or removed as the upload"
                      " opened it; try again")
"""The reply to an upload in place whose file its path no longer names
once held (L{holdInPlace})."""


def holdInPlace(fd, path):
    """
    Mark the file open as C{fd}, which an upload is about to write in
    place, as written, until that open file is closed; and check that
    C{path} still names it once held. The file is opened, then held: a
    rename of a directory above it in between (in any process: the
    rename looks for a held file below it, L{heldBelow}, and found none)
    moved it, and the upload, once its client had sent every byte into
    the moved file, got C{450}; now it is refused before it starts.

    @param fd: its descriptor, open for writing.
    @param path: the path it was opened by (last segment not followed).
    @raise FileBusy: another upload, in any process, writes it in place,
        or replaces it (L{holdTarget}); or C{path} names it no more
        (L{MOVED_WHILE_OPENED}).
    """
    if not _holdAlone(fd):
        raise FileBusy()
    if not _stillNamed(fd, path):
        raise FileBusy(MOVED_WHILE_OPENED)


_TARGET_FLAGS = (os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                 | getattr(os, "O_CLOEXEC", 0))
"""How L{holdTarget} opens a file: read-only (a shared lock, on NFS too),
no link followed, no wait for a FIFO's other end."""


def holdTarget(path):
    """
    Mark the file C{path} names as one an upload replaces once complete,
    until the descriptor returned is closed: meanwhile, an upload into it
    in place (L{holdInPlace}), in any process, gets L{FileBusy}; other
    uploads that replace it may hold it too.

    @param path: the target's resolved path, C{bytes}.
    @return: a descriptor holding it, or C{None} where nothing is held
        (no file there, one that cannot be opened, no locks on the file
        system).
    @raise FileBusy: while an upload writes it in place.
    """
    try:
        fd = os.open(path, _TARGET_FLAGS)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FileBusy() from None
    except OSError:
        os.close(fd)
        return None
    return fd


def holdNamed(fd, path, made=True):
    """
    Hold the file open as C{fd} alone, if nobody else does, and check
    that C{path} still names it: an upload's file is made, then held, and
    a sweep in another process serving the root (L{heldAlone}) may take
    it between the two, or hold it for a moment as the upload asks.

    @param fd: its descriptor, open for writing.
    @param path: its name, C{bytes}.
    @param made: whether the caller made it (else it was there).
    @return: C{True} when it is held by C{fd} and named C{path} (also,
        for a file the caller made, where nothing can be held: no locks
        on the file system); C{False} when another open file holds it (or
        one that was there cannot be held); C{None} when the name is
        another file's now, or nobody's.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return made or False
    return _stillNamed(fd, path) or None


def _stillNamed(fd, path):
    """
    @return: whether C{path} still names the file open as C{fd}.
    """
    try:
        there = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    here = os.fstat(fd)
    return (there.st_ino, there.st_dev) == (here.st_ino, here.st_dev)


@contextlib.contextmanager
def heldAlone(path):
    """
    Hold the file C{path} names while the C{with} block runs, unless an
    upload, in any process, holds it (L{holdTemporary}): how a sweep
    takes what a crashed process left, so that an upload holding the file
    at the same moment keeps it (the sweep looked, then took the file,
    and an upload that held it in between lost it).

    @param path: an upload's file, C{bytes}.
    @return: a context manager giving whether the file is held, and
        C{path} still names it (also C{True} where nothing can be held:
        no locks on the file system); C{False} when it is another's, gone
        or cannot be opened for writing (left as it is).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        except OSError:
            # No locks on this file system: nothing tells a held one.
            pass
        yield _stillNamed(fd, path)
    finally:
        os.close(fd)


def held(path):
    """
    Tell whether an upload, in any process, writes a file: its temporary
    file, or a file in place (L{holdInPlace}), which a rename of it, or
    of a directory above it (L{heldBelow}), would take away from the
    upload (blocking; L{ftpkit.shells.diskplacing.refuseMovingUploads}).

    @param path: a file's path, its last segment not followed.
    @return: whether an open file, in any process, holds an exclusive
        lock on it (a shared one is taken for a moment to tell:
        L{holdTarget}).
    """
    try:
        fd = holdTarget(path)
    except FileBusy:
        return True
    if fd is not None:
        os.close(fd)
    return False


WALK_LIMIT = 10000
"""How many entries below a directory L{heldBelow} looks at, at most, as
many as C{LIST -R} lists by default: a walk of the whole tree cost every
rename of a large directory time and CPU in proportion to it (a disk
thread's, with no bound on the tree's size)."""


RENAME_WALK_CUT = "rename-walk-cut"
"""The event (C{ftpkit_event}) of a look for uploads below a directory
being renamed that stopped at L{WALK_LIMIT} entries (L{heldBelow}): an
upload further down may fail once complete."""

RENAME_WALK_CUTS_NOT_LOGGED = "rename-walk-cuts-not-logged"
"""The event of the line counting the L{RENAME_WALK_CUT} lines left out
of the log, once the minute holding them is over and no later one said
it (L{WalkCuts})."""

WALK_CUT_LINES = 10
"""L{RENAME_WALK_CUT} lines a process logs a minute; the next says how
many were left out, or, when the minute ends first, one
L{RENAME_WALK_CUTS_NOT_LOGGED} line: a client renaming a large directory
back and forth wrote a line per rename (14 a second)."""

_log = Logger(namespace="ftpkit")


class WalkCuts:
    """
    The L{RENAME_WALK_CUT} lines of a process, held to L{WALK_CUT_LINES}
    a minute as other lines a client causes at will are
    (L{ftpkit.ops.logthrottle}).

    @ivar clock: the C{IReactorTime} of the minutes; the global reactor,
        at the first line, when C{None}.
    """

    def __init__(self, clock=None):
        """
        @param clock: see C{clock}.
        """
        self.clock = clock
        self._summaries = None

    def log(self, directory, log=_log):
        """
        Log one L{RENAME_WALK_CUT} event, unless L{WALK_CUT_LINES} were
        logged in the last minute (then it is counted).

        @param directory: the directory's path, C{str} or C{bytes}.
        @param log: the L{Logger} to log with (namespace C{ftpkit}).
        """
        summaries = self._summaries
        if summaries is None:
            clock = self.clock
            if clock is None:
                from twisted.internet import reactor as clock
            summaries = self._summaries = Summaries(
                LogThrottle(clock, burst=WALK_CUT_LINES), self._ended)
        skipped = summaries.admit(RENAME_WALK_CUT)
        if skipped is None:
            return
        log.info("renaming {directory}: uploads below it looked for in its "
                 "first {entries} entries only" + skippedNote(skipped),
                 ftpkit_event=RENAME_WALK_CUT,
                 directory=os.fsdecode(directory), entries=WALK_LIMIT)

    def finish(self, left):
        """
        Log the count of lines left out now, its minute over or not, and
        drop the timer, as one of an event hub's C{finishers} (once the
        sessions of a stopping server are gone): the count pending was
        lost.

        @param left: the seconds left of the shutdown grace (unused).
        @return: a Deferred that has fired.
        """
        if self._summaries is not None:
            self._summaries.stop()
        return succeed(None)

    def _ended(self, kind, count):
        """
        Log the L{RENAME_WALK_CUTS_NOT_LOGGED} line of a minute over.

        @param kind: L{RENAME_WALK_CUT}.
        @param count: how many of its lines were left out.
        """
        _log.info("rename-walk-cut lines not logged: {count}",
                  ftpkit_event=RENAME_WALK_CUTS_NOT_LOGGED, count=count)


walkCuts = WalkCuts()
"""The process's L{WalkCuts}."""


def logWalkCut(directory, log=_log):
    """
    Log that L{heldBelow} stopped at L{WALK_LIMIT} entries below a
    directory, whose rename goes on: one L{RENAME_WALK_CUT} event, within
    L{walkCuts}' bound.

    @param directory: the directory's path, C{str} or C{bytes}.
    @param log: the L{Logger} to log with (namespace C{ftpkit}).
    """
    walkCuts.log(directory, log)


def _walkCut(directory):
    """
    L{logWalkCut} from any thread (L{heldBelow} runs in a disk thread): at
    once in the reactor's (or where none ran yet), else handed to it,
    whose log observers are not thread-safe.

    @param directory: as for L{logWalkCut}.
    """
    if threadable.ioThread is None or threadable.isInIOThread():
        logWalkCut(directory)
    else:
        from twisted.internet import reactor

        reactor.callFromThread(logWalkCut, directory)


def heldBelow(directory):
    """
    Tell whether an upload, in any process, writes a temporary file, or
    a file in place (L{holdInPlace}), below a directory, among the first
    L{WALK_LIMIT} entries of the tree below it (blocking: the tree is
    walked, no link followed, each file's lock tried, and the walk stops
    there, in the middle of a directory if need be); a temporary file
    nobody holds (its process died) does not count.

    Past the bound the answer is C{False}, and one L{RENAME_WALK_CUT}
    event says so: the rename the caller guards
    goes on, as C{rename(2)} does on other servers, and an upload it
    moves fails once complete with a clear reply, its bytes kept (a
    temporary file, made a partial upload by the next start's sweep).
    Refusing every rename of a large tree instead would refuse a user's
    plain request for good, for the sake of an upload that rarely runs.

    @param directory: the directory's path, every link in it resolved,
        C{str} or C{bytes}.
    @return: whether one is held (C{False} past the bound).
    """
    pending = [directory]
    left = WALK_LIMIT
    while pending:
        try:
            entries = os.scandir(pending.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                left -= 1
                if left < 0:
                    _walkCut(directory)
                    return False
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and held(
                        entry.path):
                    # A temporary file, or a file written in place
                    # (holdInPlace: REST + STOR, APPE), which checks at
                    # its end that its path still names it.
                    return True
    return False
