"""
Tests for L{ftpkit.shells.diskpaths.Jail.openParent}: what an upload
learns of its target without walking the path (its directory opened with
no link on the way, the name looked up in it), and the upload of a new
name through it.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.errors import PermissionDenied
from ftpkit.shells import diskpaths
from ftpkit.shells.diskpaths import jailFor
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.guardedpaths import Guarded
from ftpkit.shells.uploadlocks import mayRemoveDirectory
from ftpkit.testing import readFile, writeFile
from tests.openparent import DIRECTORY, openDescriptors, parentRoot
from tests.scratch import writeLocal


def lstatCounted(testCase):
    """
    @param testCase: the running test, which patches C{os.lstat} for the
        rest of it.
    @return: the list of the paths C{os.lstat} is asked for from now.
    """
    looked = []
    lstat = os.lstat

    def counting(path, *args, **kwargs):
        looked.append(path)
        return lstat(path, *args, **kwargs)
    testCase.patch(os, "lstat", counting)
    return looked


class OpenParentTests(unittest.TestCase):
    """
    L{Jail.openParent} gives what L{Jail.walk} gives for a path with no
    link on it, and the directory's descriptor; anywhere else, nothing,
    with no descriptor left open.

    @cvar local: what the tests give L{Jail.openParent} as C{local}.
    """

    local = False

    def setUp(self):
        self.root, self.directory = parentRoot(self)
        writeLocal(os.path.join(self.directory, b"f.txt"), b"x")
        os.symlink(b"a", os.path.join(self.root, b"in"))
        os.symlink(b"f.txt", os.path.join(self.directory, b"link"))
        self.jail = jailFor(self.root)
        self.before = openDescriptors()

    def assertNothing(self, path):
        """
        Assert that C{path} gets nothing, and leaves no descriptor open.
        """
        self.assertIsNone(self.jail.openParent(path, self.local))
        self.assertEqual(openDescriptors(), self.before)

    def test_newName(self):
        """
        A new name: its path, C{False}, and its directory's descriptor.
        """
        real, found, fd = self.jail.openParent(("a", "b", "new.txt"),
                                               self.local)
        self.addCleanup(os.close, fd)
        self.assertEqual(real, os.path.join(self.directory, b"new.txt"))
        self.assertIs(found, False)
        self.assertEqual(os.fstat(fd).st_ino, os.stat(self.directory).st_ino)

    def test_existing(self):
        """
        A file: its C{lstat}, as the walk gives it.
        """
        real, found, fd = self.jail.openParent(("a", "b", "f.txt"),
                                               self.local)
        os.close(fd)
        self.assertEqual(found, self.jail.walk(("a", "b", "f.txt"))[1])
        self.assertEqual(real, os.path.join(self.directory, b"f.txt"))

    def test_links(self):
        """
        A link on the way, or last, is left to the walk.
        """
        self.assertNothing(("in", "b", "new.txt"))
        self.assertNothing(("a", "b", "link"))

    def test_missingDirectory(self):
        """
        A directory on the way that is not there is left to the walk.
        """
        self.assertNothing(("a", "nodir", "new.txt"))
        self.assertNothing(("a", "b", "f.txt", "new.txt"))

    def test_noName(self):
        """
        A segment with no file system name is left to the walk.
        """
        self.assertNothing(("a", "\udcff\ud800"))

    def test_guarded(self):
        """
        A L{Guarded} path's rule is asked about the target; refused, the
        directory is closed.
        """
        asked = []

        def allowed(segments):
            asked.append(segments)
            return False
        self.assertRaises(PermissionDenied, self.jail.openParent,
                          Guarded(("a", "b", "new.txt"), allowed),
                          self.local)
        self.assertEqual(asked, [("a", "b", "new.txt")])
        self.assertEqual(openDescriptors(), self.before)


class LocalOpenParentTests(OpenParentTests):
    """
    L{OpenParentTests} on a local file system (C{local}), where a name is
    first asked for with C{os.access}: the same answers, and a new name
    costs no C{lstat} (a C{FileNotFoundError} raised and caught).
    """

    local = True

    def test_newNameNoLstat(self):
        """
        A new name is found missing without an C{lstat}.
        """
        looked = lstatCounted(self)
        real, found, fd = self.jail.openParent(("a", "b", "new.txt"), True)
        os.close(fd)
        self.assertIs(found, False)
        self.assertEqual(looked, [])

    def test_longName(self):
        """
        A name longer than L{diskpaths._NAME_MAX} is looked up with
        C{lstat}, which tells a name too long (left to the walk, which
        refuses it) from a missing one.
        """
        looked = lstatCounted(self)
        name = "n" * (diskpaths._NAME_MAX + 1)
        self.assertNothing(("a", "b", name))
        self.assertEqual(looked, [name.encode("ascii")])

    def test_directory(self):
        """
        A directory of the name: its C{lstat}, as the walk gives it.
        """
        os.mkdir(os.path.join(self.directory, b"sub"))
        real, found, fd = self.jail.openParent(("a", "b", "sub"), True)
        os.close(fd)
        self.assertEqual(found, self.jail.walk(("a", "b", "sub"))[1])


class UploadWithoutWalkTests(unittest.TestCase):
    """
    An upload of a new name looks at no directory on its way, and holds
    its directory against C{RMD} with the descriptor it opened.
    """

    def setUp(self):
        self.root, self.directory = parentRoot(self)
        self.shell = FilesystemShell(self.root)

    @inlineCallbacks
    def test_noLstatOnTheWay(self):
        """
        No C{lstat} of the directories on the way (the walk made one for
        each, every upload); the upload is stored.
        """
        looked = lstatCounted(self)
        yield writeFile(self.shell, ("a", "b", "new.txt"), b"data")
        self.assertNotIn(os.path.join(self.root, b"a"), looked)
        self.assertNotIn(self.directory, looked)
        self.assertEqual((yield readFile(self.shell, ("a", "b", "new.txt"))),
                         b"data")

    @inlineCallbacks
    def test_directoryHeld(self):
        """
        While the upload of a new name runs, its directory may not be
        removed (L{mayRemoveDirectory}); once it ended, it may.
        """
        opened = yield self.shell.openForWriting(("a", "b", "new.txt"))
        other = os.open(self.directory, DIRECTORY)
        try:
            self.assertFalse(mayRemoveDirectory(other))
            yield opened.close()
            self.assertTrue(mayRemoveDirectory(other))
        finally:
            os.close(other)
