"""
Symbolic links against C{--realm fsspec:file:///DIR}, as an attacker
would try them: a link to C{/etc}, to the directory above the root, a
dangling link uploaded through, and a directory swapped for a link out of
the root between the shell's check and its use (a local user racing the
jail, as L{tests.integration.test_attack_linkrace} does for the disk
realm). Nothing outside the root may be read, listed, described, made,
changed or removed.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import FTPError, PermissionDenied
from ftpkit.shells.adapters import writeFileFor
from tests.scratch import scratchDirectory, tooLongPath

try:
    from fsspec.implementations.local import LocalFileSystem

    from ftpkit.shells.fsspecposix import LocalBackend
    from ftpkit.shells.fsspecshell import FsspecShell
except ImportError:
    LocalBackend = object
    skip = "fsspec is not installed"

SECRET = b"TOPSECRET outside the root"


class RacingBackend(LocalBackend):
    """
    The local disk, where a local user swaps C{ROOT/real}, a directory,
    for a link to C{../outside} right after every check of a path, and
    puts it back before the next check: every check sees the directory,
    every use that follows links would reach outside.
    """

    def __init__(self, base):
        """
        @param base: the directory holding C{root} and C{outside}.
        """
        LocalBackend.__init__(self, "local disk")
        self.real = os.path.join(base, "root", "real")

    def confine(self, root, path, *args, **kwargs):
        if os.path.islink(self.real):
            os.unlink(self.real)
            os.rename(self.real + "-moved", self.real)
        try:
            return LocalBackend.confine(self, root, path, *args, **kwargs)
        finally:
            os.rename(self.real, self.real + "-moved")
            os.symlink("../outside", self.real)


def makeTree(testCase):
    """
    @return: C{(base, root, outside)}: a root and a directory beside it,
        each holding C{secret.txt}, and C{sub/}; the root also holds
        C{real/} with the same entries.
    """
    base = os.path.abspath(testCase.mktemp())
    root = os.path.join(base, "root")
    outside = os.path.join(base, "outside")
    for directory in (outside, os.path.join(root, "real")):
        os.makedirs(os.path.join(directory, "sub"))
        with open(os.path.join(directory, "secret.txt"), "wb") as f:
            f.write(SECRET)
    return base, root, outside


def snapshot(directory):
    """
    @return: every path under C{directory} (itself included) with its
        modification time and its bytes (C{None} for a directory), links
        not followed.
    """
    found = {".": (os.stat(directory).st_mtime_ns, None)}
    for top, directories, files in os.walk(directory):
        for name in directories:
            path = os.path.join(top, name)
            found[os.path.relpath(path, directory)] = (
                os.lstat(path).st_mtime_ns, None)
        for name in files:
            path = os.path.join(top, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, directory)] = (
                    os.lstat(path).st_mtime_ns, f.read())
    return found


@defer.inlineCallbacks
def upload(shell, path, data, **how):
    """
    Upload C{data} to C{path} through C{shell}.
    """
    opened = writeFileFor((yield shell.openForWriting(path, **how)))
    consumer = yield opened.receive()
    consumer.write(data)
    yield opened.close()


@defer.inlineCallbacks
def create(shell, path, data):
    """
    Upload C{data} to C{path} through C{shell}, only if it is new.
    """
    opened = writeFileFor((yield shell.openForCreating(path)))
    consumer = yield opened.receive()
    consumer.write(data)
    yield opened.close()


class StaticLinkTests(unittest.TestCase):
    """
    Links put in the root before the session: to C{/etc}, to the directory
    above the root, and dangling ones leading out.
    """

    def setUp(self):
        base, self.root, self.outside = makeTree(self)
        os.symlink("/etc", os.path.join(self.root, "etc"))
        os.symlink("../", os.path.join(self.root, "up"))
        os.symlink(os.path.join(self.outside, "planted.txt"),
                   os.path.join(self.root, "dangling"))
        os.symlink("../outside/new", os.path.join(self.root, "danglingdir"))
        self.shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                                 self.root)
        self.addCleanup(self.shell.whenIdle)
        self.before = snapshot(self.outside)

    @defer.inlineCallbacks
    def test_etcRefused(self):
        """
        A link to C{/etc} can be neither listed nor read.
        """
        yield self.assertFailure(self.shell.list(("etc",)), PermissionDenied)
        yield self.assertFailure(self.shell.openListing(("etc",)),
                                 PermissionDenied)
        yield self.assertFailure(self.shell.openForReading(("etc", "passwd")),
                                 PermissionDenied)
        yield self.assertFailure(self.shell.stat(("etc", "passwd")),
                                 PermissionDenied)

    @defer.inlineCallbacks
    def test_upRefused(self):
        """
        A link to C{../} leads nowhere: not listed, not read, not written.
        """
        yield self.assertFailure(self.shell.list(("up",)), PermissionDenied)
        yield self.assertFailure(
            self.shell.openForReading(("up", "outside", "secret.txt")),
            PermissionDenied)
        yield self.assertFailure(
            upload(self.shell, ("up", "outside", "planted.txt"), b"x"),
            PermissionDenied)
        yield self.assertFailure(
            self.shell.removeFile(("up", "outside", "secret.txt")),
            PermissionDenied)
        self.assertEqual(snapshot(self.outside), self.before)

    @defer.inlineCallbacks
    def test_danglingNotWrittenThrough(self):
        """
        An upload (plain, appended, created) or a new directory naming a
        dangling link that leads out makes nothing outside.
        """
        attempts = [
            upload(self.shell, ("dangling",), b"planted"),
            upload(self.shell, ("dangling",), b"planted", append=True),
            create(self.shell, ("dangling",), b"planted"),
            self.shell.makeDirectory(("danglingdir",)),
        ]
        for attempt in attempts:
            yield self.assertFailure(attempt, FTPError)
        self.assertEqual(snapshot(self.outside), self.before)

    @defer.inlineCallbacks
    def test_linksListedAsLinks(self):
        """
        A listing shows a link leading out by itself, not by what it leads
        to: nothing of C{/etc} or of the directory above is described
        (its size is the link's own length, as on the disk realm).
        """
        from ftpkit.fileinfo import DIRECTORY

        listed = dict((yield self.shell.list(())))
        for name in ("etc", "up", "dangling", "danglingdir"):
            self.assertNotEqual(listed[name].kind, DIRECTORY, name)
            self.assertEqual(
                listed[name].size,
                len(os.readlink(os.path.join(self.root, name))), name)


class RaceTests(unittest.TestCase):
    """
    A directory swapped for a link out of the root after every check
    (L{RacingBackend}): every command fails, and nothing outside is read,
    listed, made, changed or removed.
    """

    def setUp(self):
        base, self.root, self.outside = makeTree(self)
        self.shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                                 self.root, backend=RacingBackend(base))
        self.addCleanup(self.shell.whenIdle)
        self.before = snapshot(self.outside)

    def tearDown(self):
        self.assertEqual(snapshot(self.outside), self.before)

    @defer.inlineCallbacks
    def eachRefused(self, attempts):
        """
        Make each attempt once the one before has ended, and check that it
        fails: run at once, one attempt's check could put the directory
        back while another used the path, which then named the directory
        inside the root, and the attempt rightly succeeded there (a
        listing of C{ROOT/real} in a loaded full suite).

        @param attempts: callables, each starting one attempt and
            returning its L{Deferred}.
        """
        for attempt in attempts:
            yield self.assertFailure(attempt(), FTPError)

    @defer.inlineCallbacks
    def test_readRefused(self):
        """
        A download of a file in the swapped directory fails.
        """
        try:
            opened = yield self.shell.openForReading(("real", "secret.txt"))
        except FTPError:
            return
        try:
            data = yield opened.readAt(0, len(SECRET))
        except FTPError:
            return
        finally:
            yield opened.close()
        self.assertNotEqual(data, SECRET)

    @defer.inlineCallbacks
    def test_describeRefused(self):
        """
        Nothing is listed or described through the swapped directory.
        """
        yield self.eachRefused([
            lambda: self.shell.list(("real",)),
            lambda: self.shell.openListing(("real",)),
            lambda: self.shell.stat(("real", "secret.txt")),
        ])

    @defer.inlineCallbacks
    def test_writeRefused(self):
        """
        Uploads (plain, resumed, appended, created) and new directories
        make nothing outside.
        """
        yield self.eachRefused([
            lambda: upload(self.shell, ("real", "planted.txt"), b"planted"),
            lambda: upload(self.shell, ("real", "secret.txt"), b"X",
                           offset=1),
            lambda: upload(self.shell, ("real", "secret.txt"), b"X",
                           append=True),
            lambda: create(self.shell, ("real", "created.txt"), b"planted"),
            lambda: self.shell.makeDirectory(("real", "made")),
        ])

    @defer.inlineCallbacks
    def test_changeRefused(self):
        """
        Nothing outside is removed, renamed or given a new time.
        """
        yield self.eachRefused([
            lambda: self.shell.removeFile(("real", "secret.txt")),
            lambda: self.shell.removeDirectory(("real", "sub")),
            lambda: self.shell.rename(("real", "secret.txt"),
                                      ("real", "moved.txt")),
            lambda: self.shell.setModificationTime(("real", "secret.txt"),
                                                   0),
        ])


class QuotaWalkTests(unittest.TestCase):
    """
    The measure of a home's quota on C{file://} follows no link: a link
    to a big file outside, or to the home itself, counts as one entry of
    no size, and the walk ends.
    """

    def test_linksCountedAsThemselves(self):
        from ftpkit.shells.fsspecfootprint import footprint

        base, root, outside = makeTree(self)
        with open(os.path.join(root, "mine"), "wb") as f:
            f.write(b"12345")
        os.symlink(os.path.join(outside, "secret.txt"),
                   os.path.join(root, "far"))
        os.symlink(".", os.path.join(root, "loop"))
        os.symlink("mine", os.path.join(root, "again"))
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root)
        measured = footprint(shell.fs, shell.fsPath(()))
        # real/, real/sub/, real/secret.txt, mine and the three links.
        self.assertEqual((measured.bytes, measured.files),
                         (5 + len(SECRET), 7))


class TooLongPathWalkTests(unittest.TestCase):
    """
    The measure of a home on C{file://} holding a directory whose path is
    longer than the system names (renames of directories into one another
    build one).
    """

    def test_refused(self):
        """
        It fails with L{QuotaExceeded} (C{552} for an upload), as on the
        disk realm: the walk failed with C{ENAMETOOLONG}, so that every
        upload of that user got C{451} and left a traceback in the log.
        """
        from ftpkit.errors import QuotaExceeded
        from ftpkit.shells.fsspecfootprint import footprint

        root = scratchDirectory(self)
        tooLongPath(root)
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root)
        self.assertRaises(QuotaExceeded, footprint, shell.fs, shell.fsPath(()))


class FifoSwapBackend(LocalBackend):
    """
    The local disk, where a local user puts a FIFO in the place of
    C{ROOT/f} right after the shell looked at it (a download's look at the
    file, between its one check of the path and its open).
    """

    def __init__(self, root):
        LocalBackend.__init__(self, "local disk")
        self.target = os.path.join(root, "f")

    def bind(self, fs, root):
        bound = LocalBackend.bind(self, fs, root)
        info = bound.info

        def swapping(path, **kwargs):
            try:
                return info(path, **kwargs)
            finally:
                os.rename(self.target, self.target + "-moved")
                os.mkfifo(self.target + "-fifo")
                os.link(self.target + "-fifo", self.target)

        bound.info = swapping
        return bound


class FifoSwapTests(unittest.TestCase):
    """
    A FIFO swapped in for a file after the shell looked at it is refused,
    not opened (its open would hold one of the shell's threads, waiting
    for a writer, for good).
    """

    timeout = 30
    """Seconds before trial gives up on an open that waits (the bug)."""

    def test_refused(self):
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(b"data")
        self.addCleanup(self.unblock, os.path.join(root, "f"))
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root,
                            backend=FifoSwapBackend(root))
        self.addCleanup(shell.whenIdle)
        return self.assertFailure(shell.openForReading(("f",)),
                                  PermissionDenied)

    def unblock(self, fifo):
        """
        Open C{fifo}'s writing end, so that a thread waiting to read it
        (should its open have been made) goes on and the process can end.
        """
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
