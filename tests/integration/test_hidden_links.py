"""
C{--hide-dotfiles} against symbolic links with visible names leading to
hidden ones (C{visible -> .secret}, C{dir -> .hidden/}), on the disk
realm, seen by a real client (ftplib): a path whose real path in the root
has a segment starting with C{.} is hidden as that segment is.
"""

import ftplib
import io
import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from tests.barerealm import BareRealm
from tests.ftpclient import inLoggedInClient
from tests.scratch import scratchDirectory

SECRET = b"hidden from users"


def makeRoot(testCase):
    """
    @return: a root holding C{.secret}, C{.hidden/inner.txt}, C{f}, and
        the links C{visible -> .secret}, C{dir -> .hidden},
        C{deep -> dir/inner.txt}, C{pending -> .planned} (dangling) and
        C{plain -> f}.
    """
    root = scratchDirectory(testCase)
    with open(os.path.join(root, ".secret"), "wb") as f:
        f.write(SECRET)
    os.mkdir(os.path.join(root, ".hidden"))
    with open(os.path.join(root, ".hidden", "inner.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(root, "f"), "wb") as f:
        f.write(b"f")
    os.symlink(".secret", os.path.join(root, "visible"))
    os.symlink(".hidden", os.path.join(root, "dir"))
    os.symlink("dir/inner.txt", os.path.join(root, "deep"))
    os.symlink(".planned", os.path.join(root, "pending"))
    os.symlink("f", os.path.join(root, "plain"))
    return root


def answer(ftp, command):
    """
    @return: the three-digit code of the reply to C{command}.
    """
    try:
        return ftp.sendcmd(command)[:3]
    except ftplib.Error as e:
        return str(e)[:3]


class HiddenThroughLinksTests(LoopbackServerMixin, unittest.TestCase):
    """
    Every command that names a link leading to a hidden name, or a path
    through one, behaves as for the hidden name itself.
    """

    def setUp(self):
        self.root = makeRoot(self)
        realm = BareRealm()
        realm.shell = self.makeShell(self.root)
        self.server = self.startServer(realm, ServerConfig(hideDotfiles=True))

    def makeShell(self, root):
        """
        @return: the shell of the disk realm on C{root}.
        """
        return FilesystemShell(root)

    def client(self, session):
        """
        Run C{session(ftp)} in a thread with a logged-in ftplib client.

        @return: a Deferred firing with what it returns.
        """
        return inLoggedInClient(self, session)

    @inlineCallbacks
    def test_notListed(self):
        """
        LIST, NLST and MLSD leave out the links to hidden names, keep the
        one to a visible file, and a directory reached through a link to
        a hidden one is not listed.
        """
        def session(ftp):
            lines = []
            ftp.retrlines("LIST", lines.append)
            listed = sorted(line.split()[-1] for line in lines)
            inside = []
            try:
                ftp.retrlines("NLST dir", inside.append)
            except ftplib.error_perm as e:
                inside = str(e)[:3]
            return (listed, sorted(ftp.nlst()),
                    sorted(name for name, facts in ftp.mlsd()
                           if facts["type"] not in ("cdir", "pdir")),
                    inside)

        listed, names, facts, inside = yield self.client(session)
        self.assertEqual(listed, ["f", "plain"])
        self.assertEqual(names, ["f", "plain"])
        self.assertEqual(facts, ["f", "plain"])
        self.assertEqual(inside, "550")

    @inlineCallbacks
    def test_notRead(self):
        """
        RETR, SIZE, MDTM, MLST and CWD of a link to a hidden name, or of a
        path through one, get C{550}; the link to a visible file works.
        """
        def session(ftp):
            codes = {}
            ftp.voidcmd("TYPE I")
            for path in ("visible", "dir/inner.txt", "deep"):
                data = io.BytesIO()
                try:
                    ftp.retrbinary(f"RETR {path}", data.write)
                    codes["RETR " + path] = data.getvalue()
                except ftplib.error_perm as e:
                    codes["RETR " + path] = str(e)[:3]
                for verb in ("SIZE", "MDTM", "MLST"):
                    codes[f"{verb} {path}"] = answer(ftp, f"{verb} {path}")
            codes["CWD dir"] = answer(ftp, "CWD dir")
            codes["SIZE plain"] = answer(ftp, "SIZE /plain")
            return codes

        codes = yield self.client(session)
        self.assertEqual(codes.pop("SIZE plain"), "213")
        self.assertEqual(codes, dict.fromkeys(codes, "550"))

    @inlineCallbacks
    def test_notChanged(self):
        """
        STOR, APPE, DELE, RNFR and RNTO through such links get refused,
        and the hidden files are left as they were, nothing new made.
        """
        def session(ftp):
            codes = {}
            for path in ("visible", "dir/new", "pending", "deep"):
                try:
                    ftp.storbinary(f"STOR {path}", io.BytesIO(b"planted"))
                    codes["STOR " + path] = "stored"
                except ftplib.error_perm as e:
                    codes["STOR " + path] = str(e)[:3]
            try:
                ftp.storbinary("APPE visible", io.BytesIO(b"planted"))
                codes["APPE visible"] = "stored"
            except ftplib.error_perm as e:
                codes["APPE visible"] = str(e)[:3]
            for command in ("DELE visible", "DELE dir/inner.txt",
                            "RNFR visible", "RNFR dir/inner.txt",
                            "MKD dir/made", "RMD dir"):
                codes[command] = answer(ftp, command)
            answer(ftp, "RNFR f")
            codes["RNTO pending"] = answer(ftp, "RNTO pending")
            return codes

        codes = yield self.client(session)
        for command, code in codes.items():
            self.assertIn(code, ("550", "553"), command)
        self.assertEqual(
            sorted(os.listdir(self.root)),
            [".hidden", ".secret", "deep", "dir", "f", "pending", "plain",
             "visible"])
        self.assertEqual(os.listdir(os.path.join(self.root, ".hidden")),
                         ["inner.txt"])
        for path in (".secret", ".hidden/inner.txt"):
            with open(os.path.join(self.root, path), "rb") as f:
                self.assertEqual(f.read(), SECRET)


class FsspecHiddenThroughLinksTests(HiddenThroughLinksTests):
    """
    The same on C{--realm fsspec:file:///DIR}.
    """

    def makeShell(self, root):
        """
        @return: an fsspec shell on C{root} of the local disk.
        """
        try:
            from fsspec.implementations.local import LocalFileSystem
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed") from None
        from ftpkit.shells.fsspecshell import FsspecShell

        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root)
        self.addCleanup(shell.whenIdle)
        return shell


class SFTPHiddenThroughLinksTests(HiddenThroughLinksTests):
    """
    The same on C{--realm fsspec:sftp://...}, the root seen through
    OpenSSH's SFTP server.
    """

    def makeShell(self, root):
        """
        @return: an fsspec shell on C{root} seen through SFTP.
        """
        try:
            from ftpkit.shells.fsspecshell import FsspecShell
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed") from None
        from tests.storageservers import sshServer

        shell = FsspecShell(sshServer().sharedFilesystem(), root)
        self.addCleanup(shell.whenIdle)
        return shell
