"""
The C{perm} fact of C{MLSD} and C{MLST} for the symbolic links the server
does not follow (leading nowhere, in a loop, out of the root), on the disk
realm and C{fsspec:file://}: C{d} for a user who may delete, as C{DELE}
removes the link itself, and nothing for a read-only user. It was empty
for both, so clients trusting C{perm} (FileZilla, WinSCP, lftp with
C{MLSD}) would not offer to delete such a link. C{f} with it, now that
C{RNFR} of it is answered C{350} (L{tests.integration.test_linkrename}).
"""

import ftplib
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import LocalMixin, SFTPMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.scratch import scratchDirectory

LINKS = ("far", "gone", "loop")
"""The links of the root: C{far} leads out of it, C{gone} nowhere,
C{loop} to itself."""


def mlstPerm(ftp, name):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param name: an entry's name.
    @return: the C{perm} fact of C{MLST name}, or the error's code.
    """
    try:
        line = ftp.sendcmd("MLST " + name).splitlines()[1]
    except ftplib.all_errors as e:
        return str(e)[:3]
    facts = line.lstrip(" ").partition(" ")[0].rstrip(";").split(";")
    return dict(fact.lower().split("=", 1) for fact in facts)["perm"]


def session(ftp):
    """
    Look at the root's entries and act on each link (blocking).

    @param ftp: a logged-in C{ftplib.FTP}.
    @return: C{(mlsd, mlst, renamed, deleted)}: the C{perm} fact of each
        entry of C{MLSD} and of each link's C{MLST}, by name, and the
        codes of C{RNFR} and C{DELE} of each link.
    """
    mlsd = {name: facts["perm"]
            for name, facts in ftp.mlsd(facts=["type", "perm"])
            if facts["type"] not in ("cdir", "pdir")}
    mlst = {name: mlstPerm(ftp, name) for name in LINKS}
    renamed = {name: replyCode(ftp.sendcmd, "RNFR " + name) for name in LINKS}
    deleted = {name: replyCode(ftp.sendcmd, "DELE " + name) for name in LINKS}
    ftp.quit()
    return mlsd, mlst, renamed, deleted


class DiskLinkDeletePermTests(LoopbackServerMixin, unittest.TestCase):
    """
    A root holding a file C{f} and the links of L{LINKS}, served by the
    disk realm.
    """

    def setUp(self):
        base = scratchDirectory(self)
        self.root = os.path.join(base, "root")
        self.outside = os.path.join(base, "outside")
        os.mkdir(self.root)
        os.mkdir(self.outside)
        with open(os.path.join(self.outside, "secret"), "wb") as f:
            f.write(b"secret")
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(b"f")
        for name, target in (("far", os.path.join(self.outside, "secret")),
                             ("gone", "nowhere"), ("loop", "loop")):
            os.symlink(target, os.path.join(self.root, name))

    def makeRealm(self):
        """
        @return: the realm serving C{self.root}.
        """
        return FilesystemRealm(self.root)

    def served(self, config):
        """
        Serve the root to alice and run L{session} as her.

        @param config: the server's L{ServerConfig}.
        @return: a Deferred firing with what L{session} gives.
        """
        server = self.startServer(self.makeRealm(), config,
                                  users={"alice": "pw"}, anonymous=False)
        return self.inThread(lambda: session(
            ftplibLogin(self, server.port, "alice", "pw")))

    @defer.inlineCallbacks
    def test_deleter(self):
        """
        A user who may delete and rename sees C{perm=df} on each link, in
        C{MLSD} and C{MLST} (which got C{550}), C{RNFR} of it gets
        C{350}, and C{DELE} then removes the link alone.
        """
        mlsd, mlst, renamed, deleted = yield self.served(ServerConfig())
        self.assertEqual(mlsd, {"f": "adfrw", "far": "df", "gone": "df",
                                "loop": "df"})
        self.assertEqual(mlst, dict.fromkeys(LINKS, "df"))
        self.assertEqual(renamed, dict.fromkeys(LINKS, "350"))
        self.assertEqual(deleted, dict.fromkeys(LINKS, "250"))
        self.assertEqual(os.listdir(self.root), ["f"])
        self.assertEqual(os.listdir(self.outside), ["secret"])

    @defer.inlineCallbacks
    def test_readOnly(self):
        """
        A read-only user (C{--read-only}) sees an empty C{perm} on each
        link, in C{MLSD} and C{MLST}, and C{RNFR} and C{DELE} of it get
        C{550}.
        """
        mlsd, mlst, renamed, deleted = yield self.served(
            ServerConfig(readOnly=True))
        self.assertEqual(mlsd, {"f": "r", "far": "", "gone": "",
                                "loop": ""})
        self.assertEqual(mlst, dict.fromkeys(LINKS, ""))
        self.assertEqual(renamed, dict.fromkeys(LINKS, "550"))
        self.assertEqual(deleted, dict.fromkeys(LINKS, "550"))
        self.assertEqual(sorted(os.listdir(self.root)), ["f", *LINKS])


class FsspecLinkDeletePermTests(LocalMixin, DiskLinkDeletePermTests):
    """
    The same on C{--realm fsspec:file://ROOT}.
    """


class SFTPLinkDeletePermTests(SFTPMixin, DiskLinkDeletePermTests):
    """
    The same on C{--realm fsspec:sftp://USER@HOST:PORT/ROOT}, the root
    seen through OpenSSH's SFTP server: links told from what they lead
    to, as on the disk realm.
    """
