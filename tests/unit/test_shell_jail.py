"""
Symbolic links never lead a L{FilesystemShell} outside its root: its
operations, listings and C{listSome} through links, and the jail's walk
(L{ftpkit.shells.diskpaths}).
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.errors import InvalidPath, NoSuchFile, PermissionDenied
from ftpkit.fileinfo import LINK
from ftpkit.shells import uploads
from ftpkit.shells.diskpaths import jailFor, reachable
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.testing import readFile, writeFile
from tests.scratch import readLocal, scratchRoot, writeLocal


class JailTests(unittest.TestCase):
    """
    Symbolic links never lead a L{FilesystemShell} outside its root.
    """

    def setUp(self):
        base = scratchRoot(self)
        self.root = os.path.join(base, b"root")
        self.outside = os.path.join(base, b"outside")
        os.mkdir(self.root)
        os.mkdir(self.outside)
        self.secret = os.path.join(self.outside, b"secret.txt")
        writeLocal(self.secret, b"secret")
        os.mkdir(os.path.join(self.root, b"sub"))
        writeLocal(os.path.join(self.root, b"sub", b"f.txt"), b"inside")
        os.symlink(self.outside, os.path.join(self.root, b"out"))
        os.symlink(self.secret, os.path.join(self.root, b"secret"))
        os.symlink(b"sub", os.path.join(self.root, b"in"))
        os.symlink(b"sub/f.txt", os.path.join(self.root, b"inFile"))
        os.symlink(b"../../outside/secret.txt", os.path.join(self.root, b"sub", b"up"))
        self.shell = FilesystemShell(self.root)

    @inlineCallbacks
    def test_refused(self):
        """
        Every operation through a link leading outside fails with
        L{PermissionDenied}.
        """
        shell = self.shell
        for path in [("secret",), ("out",), ("out", "secret.txt"), ("sub", "up")]:
            for operation in [
                shell.stat(path),
                shell.openForReading(path),
                shell.openForWriting(path),
                shell.openForWriting(path, 1),
                shell.openForWriting(path, append=True),
                shell.setModificationTime(path, 1000),
                shell.hash(path, "sha256"),
            ]:
                yield self.assertFailure(operation, PermissionDenied)
        for operation in [
            shell.list(("out",)),
            shell.makeDirectory(("out", "d")),
            shell.removeFile(("out", "secret.txt")),
            shell.rename(("out", "secret.txt"), ("stolen",)),
            shell.rename(("sub", "f.txt"), ("out", "planted")),
            shell.openForWriting(("out", "new.txt")),
        ]:
            yield self.assertFailure(operation, PermissionDenied)
        self.assertEqual(readLocal(self.secret), b"secret")
        self.assertEqual(os.listdir(self.outside), [b"secret.txt"])
        self.assertNotEqual(os.stat(self.secret).st_mtime, 1000)

    @inlineCallbacks
    def test_listShowsEscapingLinks(self):
        """
        A link leading outside is listed as a link, not followed; links
        staying inside are listed as what they point at.
        """
        entries = dict((yield self.shell.list(())))
        self.assertEqual(entries["out"].kind, LINK)
        self.assertEqual(entries["secret"].kind, LINK)
        self.assertNotEqual(entries["secret"].size, len(b"secret"))
        self.assertEqual(entries["in"].kind, "dir")
        self.assertEqual(entries["inFile"].kind, "file")
        self.assertEqual(entries["inFile"].size, len(b"inside"))

    @inlineCallbacks
    def test_insideLinksWork(self):
        """
        Links staying inside the root can be read, listed and written
        through.
        """
        self.assertEqual((yield readFile(self.shell, ("inFile",))), b"inside")
        self.assertEqual((yield readFile(self.shell, ("in", "f.txt"))), b"inside")
        names = [name for name, info in (yield self.shell.list(("in",)))]
        self.assertEqual(names, ["f.txt", "up"])
        self.assertTrue((yield self.shell.stat(("in",))).isDirectory)
        yield writeFile(self.shell, ("inFile",), b"changed")
        self.assertEqual(
            readLocal(os.path.join(self.root, b"sub", b"f.txt")), b"changed"
        )
        self.assertTrue(os.path.islink(os.path.join(self.root, b"inFile")))

    @inlineCallbacks
    def test_removeEscapingLink(self):
        """
        Removing a link leading outside removes the link, not its target.
        """
        yield self.shell.removeFile(("secret",))
        self.assertFalse(os.path.lexists(os.path.join(self.root, b"secret")))
        self.assertEqual(readLocal(self.secret), b"secret")

    def test_missingInsideLink(self):
        """
        A dangling link inside the root is a missing file.
        """
        os.symlink(b"nowhere", os.path.join(self.root, b"dangling"))
        return self.assertFailure(self.shell.stat(("dangling",)), NoSuchFile)


class ListSomeJailTests(unittest.TestCase):
    """
    L{FilesystemShell.listSome} describes entries as C{list} does (links
    outside the root by themselves) and names nothing but entries.
    """

    setUp = JailTests.setUp

    @inlineCallbacks
    def test_asListed(self):
        """
        Each entry is described as C{list} describes it, links included.
        """
        names = ["in", "inFile", "out", "secret", "sub"]
        listed = yield self.shell.list(())
        self.assertEqual((yield self.shell.listSome((), names)), listed)

    @inlineCallbacks
    def test_onlyEntries(self):
        """
        A name that is not one segment (C{".."}, C{"sub/f.txt"}) is left
        out rather than looked up.
        """
        some = yield self.shell.listSome(
            ("sub",), ["..", ".", "../out", "f.txt/..", "x\0", "f.txt"])
        self.assertEqual([name for name, _ in some], ["f.txt"])


class WalkTests(unittest.TestCase):
    """
    L{Jail.walk} resolves a path as L{FilesystemShell._resolve} does, and
    tells what it learnt of the last segment.
    """

    def setUp(self):
        self.root = scratchRoot(self)
        os.mkdir(os.path.join(self.root, b"sub"))
        writeLocal(os.path.join(self.root, b"sub", b"f.txt"), b"x")
        os.symlink(b"sub/f.txt", os.path.join(self.root, b"link"))
        self.jail = jailFor(self.root)

    def test_file(self):
        """
        A file's C{stat} comes with its path.
        """
        real, found = self.jail.walk(("sub", "f.txt"))
        self.assertEqual(real, os.path.join(self.root, b"sub", b"f.txt"))
        self.assertEqual(found, os.stat(real))

    def test_missing(self):
        """
        C{False} where the last segment is missing; C{None} where a
        directory on the way is (the walk stopped before the last).
        """
        real, found = self.jail.walk(("sub", "new.txt"))
        self.assertEqual(real, os.path.join(self.root, b"sub", b"new.txt"))
        self.assertIs(found, False)
        real, found = self.jail.walk(("nodir", "new.txt"))
        self.assertEqual(real, os.path.join(self.root, b"nodir", b"new.txt"))
        self.assertIsNone(found)

    def test_link(self):
        """
        Through a symbolic link, the link's own C{lstat} is not given: the
        caller asks for the target's.
        """
        real, found = self.jail.walk(("link",))
        self.assertEqual(real, os.path.realpath(
            os.path.join(self.root, b"sub", b"f.txt")))
        self.assertIsNone(found)

    def test_notFollowed(self):
        """
        Without following the last segment, it is only named.
        """
        real, found = self.jail.walk(("link",), followLast=False)
        self.assertEqual(real, os.path.join(self.root, b"link"))
        self.assertIsNone(found)

    def test_loop(self):
        """
        A link of a loop (C{realpath} gives it back unresolved) fails as a
        link leading out does, on the way or last; not followed, it is
        named.
        """
        os.symlink(b"loop", os.path.join(self.root, b"loop"))
        self.assertRaises(PermissionDenied, self.jail.walk, ("loop",))
        self.assertRaises(PermissionDenied, self.jail.walk, ("loop", "f"))
        real, _ = self.jail.walk(("loop",), followLast=False)
        self.assertEqual(real, os.path.join(self.root, b"loop"))

    def test_joined(self):
        """
        L{Jail.joined} gives the path below the root, links not looked at,
        or C{None} for a segment with no file system name or naming an
        upload not in place (wherever it is in the path); the root for
        C{()}.
        """
        jail = self.jail
        root = self.root.rstrip(b"/")
        self.assertEqual(jail.joined(()), root)
        self.assertEqual(jail.joined(("link", "x")), root + b"/link/x")
        self.assertEqual(jail.joined(("sub", "\udcff")), root + b"/sub/\xff")
        hidden = uploads.PARTIAL_PREFIX.decode() + "f"
        for path in [(hidden,), ("sub", hidden), (hidden, "f.txt")]:
            self.assertIsNone(jail.joined(path))
        self.assertEqual(jail.joined(("sub", "f" + hidden)),
                         root + b"/sub/f" + hidden.encode())
        self.assertIsNone(jail.joined(("sub", "\ud800")))


class SiblingTests(unittest.TestCase):
    """
    A directory beside the root whose name starts with the root's
    (C{root2} beside C{root}) is outside it: the jail compares whole
    segments, not a text prefix.
    """

    def setUp(self):
        base = scratchRoot(self)
        self.root = os.path.join(base, b"root")
        sibling = os.path.join(base, b"root2")
        os.mkdir(self.root)
        os.mkdir(sibling)
        self.secret = os.path.join(sibling, b"secret.txt")
        writeLocal(self.secret, b"secret")
        os.symlink(b"../root2", os.path.join(self.root, b"sib"))
        os.symlink(b"../root2/secret.txt", os.path.join(self.root, b"sibFile"))
        self.jail = jailFor(self.root)
        self.shell = FilesystemShell(self.root)

    def test_inside(self):
        """
        L{Jail.inside} holds the root and what is below it, never a path
        that only starts with the root's text.
        """
        jail = self.jail
        root = jail.root
        self.assertTrue(jail.inside(root))
        self.assertTrue(jail.inside(root + b"/a"))
        self.assertFalse(jail.inside(root + b"2"))
        self.assertFalse(jail.inside(root + b"2/secret.txt"))

    @inlineCallbacks
    def test_refused(self):
        """
        A link to the sibling, or into it, is refused as any link leading
        out, and its target is not told.
        """
        shell = self.shell
        for path in [("sib",), ("sib", "secret.txt"), ("sibFile",)]:
            yield self.assertFailure(shell.stat(path), PermissionDenied)
            yield self.assertFailure(shell.openForReading(path),
                                     PermissionDenied)
        yield self.assertFailure(shell.list(("sib",)), PermissionDenied)
        targets = yield shell.linkTargets(())
        self.assertEqual(targets, {"sib": None, "sibFile": None})
        self.assertEqual(readLocal(self.secret), b"secret")


class PathLimitTests(unittest.TestCase):
    """
    L{reachable} keeps an entry about to be made within the system's
    limit on a path, C{PATH_MAX} (4096 bytes with its NUL).
    """

    def test_limit(self):
        """
        A path of 4095 bytes is reachable; one of 4096, which with its
        NUL passes C{PATH_MAX}, is C{File name too long}.
        """
        longest = b"/" + b"a" * 4094
        self.assertEqual(reachable(longest), longest)
        failure = self.assertRaises(InvalidPath, reachable, longest + b"a")
        self.assertIn("too long", str(failure))
