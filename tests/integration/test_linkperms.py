"""
The C{perm} fact of C{MLSD} promises only what the server then does, for
symbolic links the disk realm (and C{fsspec:file://}) does not follow:
one leading outside the root (to C{/etc/passwd}) and one leading
nowhere. Both were listed with C{perm=adfrw}, and C{RETR} of either got
550: rclone, trusting the C{r}, tried each and failed the copy.
"""

import ftplib
import io
import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.barerealm import BareRealm
from tests.fsspecrealms import SFTPMixin
from tests.ftpclient import inLoggedInClient
from tests.scratch import scratchDirectory


def perms(ftp):
    """
    @return: the C{perm} fact of each entry of the current directory's
        C{MLSD}, by name (C{.} and C{..} left out).
    """
    found = {}
    for name, facts in ftp.mlsd(facts=["type", "perm"]):
        if facts["type"] not in ("cdir", "pdir"):
            found[name] = facts["perm"]
    return found


def works(call):
    """
    @return: whether C{call()} got a positive reply.
    """
    try:
        call()
    except ftplib.error_perm:
        return False
    return True


def tried(ftp, name, letters):
    """
    Try on an entry the command of each C{perm} letter (RFC 3659 section
    7.5.5): C{r} C{RETR}, C{a} C{APPE}, C{w} C{STOR}, C{f} C{RNFR} and
    C{RNTO} (onto itself), C{d} C{DELE}.

    @param ftp: a logged-in ftplib client.
    @param name: the entry's name.
    @param letters: the letters to try, in that order.
    @return: the set of letters whose command worked.
    """
    calls = {
        "r": lambda: ftp.retrbinary("RETR " + name, lambda data: None),
        "a": lambda: ftp.storbinary("APPE " + name, io.BytesIO(b"x")),
        "w": lambda: ftp.storbinary("STOR " + name, io.BytesIO(b"x")),
        "f": lambda: (ftp.sendcmd("RNFR " + name),
                      ftp.sendcmd("RNTO " + name)),
        "d": lambda: ftp.delete(name),
    }
    return {letter for letter in letters if works(calls[letter])}


ORDER = ("passwd", "outside", "dangling", "pending", "inside", "f")
"""The entries, in the order they are tried: each link before what it
leads to, so that removing one leaves the others as they were."""

WRITES = ("a", "w", "f", "d")
"""The letters tried only on entries whose target is the test's own: the
link to C{/etc/passwd} gets C{RETR} alone, so that a server writing
through it could not damage the machine."""


class UnfollowedLinkPermTests(LoopbackServerMixin, unittest.TestCase):
    """
    A root holding C{f} and the links C{inside -> f}, C{passwd ->
    /etc/passwd}, C{outside -> ../secret} (a file of the test outside
    the root), C{dangling -> /nonexistent/x} and C{pending -> nowhere}
    (inside the root, leading nowhere), served by the disk realm to a
    user who may change files.
    """

    def setUp(self):
        base = scratchDirectory(self)
        root = os.path.join(base, "root")
        os.mkdir(root)
        with open(os.path.join(base, "secret"), "wb") as f:
            f.write(b"secret")
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(b"f")
        for name, target in (("inside", "f"), ("passwd", "/etc/passwd"),
                             ("outside", "../secret"),
                             ("dangling", "/nonexistent/x"),
                             ("pending", "nowhere")):
            os.symlink(target, os.path.join(root, name))
        self.base = base
        self.server = self.startServer(self.makeRealm(root),
                                       ServerConfig(loginFailureDelay=0))

    def makeRealm(self, root):
        """
        @return: the disk realm on C{root}.
        """
        return FilesystemRealm(root)

    def client(self, session):
        """
        Run C{session(ftp)} in a thread with a logged-in ftplib client.

        @return: a Deferred firing with what it returns.
        """
        return inLoggedInClient(self, session, quit=False, binary=True)

    @inlineCallbacks
    def test_promisesKept(self):
        """
        A link the server does not follow gets C{perm=df}: C{DELE}
        removes the link itself, C{RNFR} and C{RNTO} rename it; no C{r}
        (C{RETR} fails), nor C{a} or C{w}, which fail for a link leading
        out of the root. A link
        followed inside the root is its target, C{adfrw}. Every letter
        given is what the server then does, and C{r} is given exactly
        where C{RETR} works.
        """
        def session(ftp):
            listed = perms(ftp)
            done = {name: tried(ftp, name, "r" if name == "passwd"
                                else "rawfd")
                    for name in ORDER}
            return listed, done

        listed, done = yield self.client(session)
        self.assertEqual(listed, {"dangling": "df", "f": "adfrw",
                                  "inside": "adfrw", "outside": "df",
                                  "passwd": "df", "pending": "df"})
        for name in ORDER:
            given = set(listed[name])
            if name == "passwd":
                given -= set(WRITES)
            self.assertLessEqual(given, done[name], name)
            self.assertEqual("r" in given, "r" in done[name], name)
        self.assertLessEqual(done["outside"], {"d", "f"})
        with open(os.path.join(self.base, "secret"), "rb") as f:
            self.assertEqual(f.read(), b"secret")


class FsspecUnfollowedLinkPermTests(UnfollowedLinkPermTests):
    """
    The same on the fsspec shell of the local disk (C{--realm
    fsspec:file:///DIR}), whose listings give L{ftpkit.fileinfo.FileInfo}
    values rather than C{os.stat} results.
    """

    def makeRealm(self, root):
        """
        @return: a realm giving an fsspec shell on C{root}.
        """
        try:
            from fsspec.implementations.local import LocalFileSystem
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed") from None
        from ftpkit.shells.fsspecshell import FsspecShell

        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root)
        self.addCleanup(shell.whenIdle)
        realm = BareRealm()
        realm.shell = shell
        return realm


class SFTPUnfollowedLinkPermTests(UnfollowedLinkPermTests):
    """
    The same on C{--realm fsspec:sftp://USER@HOST:PORT/ROOT}, the root
    seen through OpenSSH's SFTP server: C{MLSD} gave every link
    C{perm=df}, the one leading to C{f} beside it too, and C{RETR}
    followed the links out of the root.
    """

    def makeRealm(self, root):
        """
        @return: the fsspec realm of C{root} seen through SFTP.
        """
        self.root = root
        return SFTPMixin.makeRealm(self)
