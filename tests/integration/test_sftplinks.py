"""
The fsspec shell on SFTP, against a real OpenSSH server on loopback
(L{tests.storageservers}), tells symbolic links from what they lead to as
the disk shell does, on one tree of the disk seen both ways: listings
(C{list}, C{listSome}), C{stat}, C{resolve} and C{linkTargets} give the
same answers. fsspec's SFTP filesystem listed every link as itself (a
link to a file beside it included: C{perm=df} in C{MLSD}), and C{stat}
followed any link, out of the root too.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import FTPError
from ftpkit.interfaces import IFTPShellListSome, IFTPShellResolve
from ftpkit.shells.filesystem import FilesystemShell
from tests.scratch import scratchDirectory
from tests.storageservers import sshServer

try:
    from ftpkit.shells.fsspecshell import FsspecShell
except ImportError:
    FsspecShell = None

LINKS = {"inside": "f", "insideDir": "d", "far": None, "farDir": None,
         "gone": "nowhere", "loop": "loop", "chain": "inside"}
"""The links of the root and their texts (C{None}: leading to the test's
file, or directory, outside the root)."""


def makeTree(testCase):
    """
    @return: a root holding C{f}, C{d/g} and the links of L{LINKS}, beside
        C{outside/secret} and C{outside/sub/}.
    """
    base = scratchDirectory(testCase)
    root = os.path.join(base, "root")
    outside = os.path.join(base, "outside")
    os.makedirs(os.path.join(root, "d"))
    os.makedirs(os.path.join(outside, "sub"))
    for path in (os.path.join(root, "f"), os.path.join(root, "d", "g"),
                 os.path.join(outside, "secret")):
        with open(path, "wb") as f:
            f.write(b"data")
    texts = dict(LINKS, far=os.path.join(outside, "secret"),
                 farDir=os.path.join(outside, "sub"))
    for name, text in texts.items():
        os.symlink(text, os.path.join(root, name))
    return root


def shape(info):
    """
    @return: what two shells of one tree must agree on of a
        L{ftpkit.fileinfo.FileInfo}: its kind, size (but a directory's,
        which the fsspec shell gives as 0) and link text.
    """
    return (info.kind, None if info.isDirectory else info.size, info.target)


@defer.inlineCallbacks
def answers(shell):
    """
    @return: a Deferred firing with a C{dict} of what C{shell} answers
        about the tree of L{makeTree}: each name's C{stat} (or the FTP
        error's class name), the listing, C{listSome} of every name,
        C{resolve} of each name and C{linkTargets} of the root.
    """
    names = ["f", "d", *sorted(LINKS)]
    found = {}
    for name in names:
        try:
            found["stat", name] = shape((yield shell.stat((name,))))
        except FTPError as e:
            found["stat", name] = type(e).__name__
        found["resolve", name] = yield shell.resolve((name,))
    found["list"] = sorted((name, shape(info))
                           for name, info in (yield shell.list(())))
    found["listSome"] = sorted((name, shape(info)) for name, info in
                               (yield shell.listSome((), names)))
    found["linkTargets"] = yield shell.linkTargets(())
    return found


class SFTPLinkParityTests(unittest.TestCase):
    """
    L{FsspecShell} on C{sftp://} answers as L{FilesystemShell} on one
    tree.
    """

    timeout = 120

    if FsspecShell is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def test_sameAnswers(self):
        """
        The listings describe a link leading inside the root as what it
        leads to and the others as links (with their text where they lead
        inside), C{stat} refuses the links out of the root, nowhere and in
        a loop, and C{resolve} and C{linkTargets} agree.
        """
        root = makeTree(self)
        sftp = FsspecShell(sshServer().sharedFilesystem(), root)
        self.addCleanup(sftp.whenIdle)
        self.assertTrue(IFTPShellResolve.providedBy(sftp))
        self.assertTrue(IFTPShellListSome.providedBy(sftp))
        disk = yield answers(FilesystemShell(root))
        found = yield answers(sftp)
        self.maxDiff = None
        self.assertEqual(found, disk)
        self.assertEqual(found["stat", "far"], "PermissionDenied")
        self.assertEqual(dict(found["list"])["inside"][0],
                         dict(found["list"])["f"][0])

    @defer.inlineCallbacks
    def test_actsOnLinks(self):
        """
        Removing and renaming a link act on the link, wherever it leads
        (a directory inside the root, a directory outside), and a read
        through a link out of the root is refused.
        """
        root = makeTree(self)
        shell = FsspecShell(sshServer().sharedFilesystem(), root)
        self.addCleanup(shell.whenIdle)
        yield shell.removeFile(("insideDir",))
        yield shell.rename(("farDir",), ("moved",))
        yield self.assertFailure(shell.openForReading(("far",)), FTPError)
        self.assertFalse(os.path.lexists(os.path.join(root, "insideDir")))
        self.assertTrue(os.path.islink(os.path.join(root, "moved")))
        self.assertEqual(os.listdir(os.path.join(root, "d")), ["g"])
        outside = os.path.join(os.path.dirname(root), "outside")
        self.assertEqual(sorted(os.listdir(outside)), ["secret", "sub"])
