"""
Symbolic links of the root that lead nowhere, in a loop (C{loop -> loop},
or two links to each other), on C{--realm fsspec:file://ROOT}: handled as
the disk realm handles them (L{tests.integration.test_attack_linkloops}),
never followed, changes refused with C{550}, removable with C{DELE}.

C{os.path.realpath} gives up on a loop and returns a link of it, inside
the root, which the fsspec local backend took for a resolved path:
C{MFMT} changed the link's own time and answered C{213}, and C{STOR}
replaced the link with a file.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from tests.fsspecrealms import SFTPMixin
from tests.ftpclient import ftplibLogin, replyText
from tests.integration.test_attack_linkloops import (
    LOOPS,
    deleteLoops,
    loopedTree,
)
from tests.scratch import scratchDirectory

try:
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
    from ftpkit.shells.fsspecshell import FsspecShell
except ImportError:
    fsspec = None


def _storReply(ftp, name):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param name: the name to upload to.
    @return: the reply to C{STOR} of a few bytes to C{name}.
    """
    import io

    try:
        return ftp.storbinary("STOR " + name, io.BytesIO(b"planted"))
    except Exception as e:  # noqa: BLE001 (ftplib's errors and socket's)
        return str(e)


class FsspecLinkLoopTests(LoopbackServerMixin, unittest.TestCase):
    """
    A real server on C{fsspec:file://} and C{ftplib}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def serve(self):
        """
        @return: C{(root, server)}: the looped tree and a server of it.
        """
        root = loopedTree(self)
        realm = makeFsspecRealm("file://" + root, {})
        return root, self.startServer(realm, users={"alice": "pw"},
                                      anonymous=False)

    @defer.inlineCallbacks
    def test_changesRefused(self):
        """
        C{MFMT}, C{STOR} and C{APPE} of a looping link get C{550}, and the
        link is left as it was.
        """
        root, server = self.serve()
        before = {name: (os.readlink(os.path.join(root, name)),
                         os.lstat(os.path.join(root, name)).st_mtime)
                  for name in LOOPS}

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            replies = {}
            for name in LOOPS:
                replies["MFMT", name] = replyText(
                    ftp, "MFMT 20200101000000 " + name)
                replies["STOR", name] = _storReply(ftp, name)
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertEqual({key: reply[:3] for key, reply in replies.items()},
                         {key: "550" for key in replies})
        self.assertEqual(
            {name: (os.readlink(os.path.join(root, name)),
                    os.lstat(os.path.join(root, name)).st_mtime)
             for name in LOOPS}, before)

    @defer.inlineCallbacks
    def test_removed(self):
        """
        C{DELE} of a looping link removes it (C{250}), and nothing else.
        """
        root, server = self.serve()
        codes = yield self.inThread(deleteLoops, self, server.port)
        self.assertEqual(codes, ["250"] * 3)
        self.assertEqual(os.listdir(root), ["f"])


class FsspecLinkOutRemovedTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{DELE} of a link leading out of the root removes the link, as on the
    disk realm, and nothing it leads to (it got C{550} on C{file://}).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def test_removed(self):
        """
        A link to a file outside, one to a directory outside and a
        dangling one are removed; a file through the second is not.
        """
        base = scratchDirectory(self)
        root = os.path.join(base, "root")
        outside = os.path.join(base, "outside")
        os.makedirs(root)
        os.makedirs(outside)
        with open(os.path.join(outside, "secret"), "wb") as f:
            f.write(b"secret")
        os.symlink(os.path.join(outside, "secret"), os.path.join(root, "far"))
        os.symlink(outside, os.path.join(root, "fardir"))
        os.symlink(os.path.join(outside, "none"), os.path.join(root, "gone"))
        server = self.startServer(makeFsspecRealm("file://" + root, {}),
                                  users={"alice": "pw"}, anonymous=False)

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            replies = [replyText(ftp, "DELE " + name)
                       for name in ("far", "fardir", "gone")]
            replies.append(replyText(ftp, "DELE fardir/secret"))
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertEqual([reply[:3] for reply in replies],
                         ["250", "250", "250", "550"])
        self.assertEqual(os.listdir(root), [])
        self.assertEqual(os.listdir(outside), ["secret"])


class LinkRenameParityTests(unittest.TestCase):
    """
    The shell's C{rename} of a symbolic link that cannot be followed (in
    a loop, out of the root, dangling) renames the link itself, never
    what it leads to, on C{file://} as on the disk realm: C{file://} got
    L{ftpkit.errors.PermissionDenied} (C{550}), following it to find what
    it was.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def renamed(self, makeShell):
        """
        Rename each link of L{LOOPS}, and links out of the root (to a file,
        to a directory, to nothing), to C{NAME-moved}.

        @param makeShell: called with the root, gives the shell.
        @return: a Deferred firing with what each rename gave (C{None}
            or the error's class name), the root's entries afterwards,
            each link with its target (C{OUTSIDE} for the directory
            outside), and the entries outside.
        """
        root = loopedTree(self)
        outside = scratchDirectory(self)
        with open(os.path.join(outside, "secret"), "wb") as f:
            f.write(b"secret")
        os.symlink(os.path.join(outside, "secret"), os.path.join(root, "far"))
        os.symlink(outside, os.path.join(root, "fardir"))
        os.symlink(os.path.join(outside, "none"), os.path.join(root, "gone"))
        shell = makeShell(root)
        results = {}
        for name in (*LOOPS, "far", "fardir", "gone"):
            try:
                results[name] = yield shell.rename((name,),
                                                   (name + "-moved",))
            except Exception as e:  # noqa: BLE001 (compared below)
                results[name] = type(e).__name__
        entries = {name: os.readlink(os.path.join(root, name)).replace(
                       outside, "OUTSIDE")
                   if os.path.islink(os.path.join(root, name)) else None
                   for name in os.listdir(root)}
        return results, entries, os.listdir(outside)

    @defer.inlineCallbacks
    def test_parity(self):
        """
        Both shells rename each link, and leave the same tree: each link
        under its new name, leading where it led, nothing outside touched.
        """
        disk = yield self.renamed(FilesystemShell)
        local = yield self.renamed(lambda root: FsspecShell(
            LocalFileSystem(skip_instance_cache=True), root))
        results, entries, outside = local
        self.assertEqual(set(results.values()), {None})
        self.assertEqual(local, disk)
        self.assertEqual(sorted(entries), sorted(
            [name + "-moved" for name in (*LOOPS, "far", "fardir", "gone")]
            + ["f"]))
        self.assertEqual(entries["loop-moved"], "loop")
        self.assertEqual(outside, ["secret"])


class SFTPLinkLoopTests(FsspecLinkLoopTests):
    """
    The same on C{fsspec:sftp://}, the looped tree seen through OpenSSH's
    SFTP server.
    """

    def serve(self):
        """
        @return: C{(root, server)}: the looped tree and a server of it.
        """
        self.root = loopedTree(self)
        return self.root, self.startServer(
            SFTPMixin.makeRealm(self), users={"alice": "pw"}, anonymous=False)
