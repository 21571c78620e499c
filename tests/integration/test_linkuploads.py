"""
Uploads (C{STOR}, C{APPE}, C{REST} + C{STOR}, C{STOU}) through symbolic
links, on
the disk realm and C{fsspec:file://} alike: through a link inside the
root they write the file it leads to, and make it for a link leading
nowhere there, keeping the link, as the disk realm (and vsftpd's and
ProFTPD's C{open}) always did; onto a link leading out of the root or in
a loop they get C{550}, and nothing changes. On C{fsspec:file://} an
upload, written beside its name and renamed over it
(L{ftpkit.shells.keptuploads}), replaced the link with the uploaded
file, and one onto a link leading into a missing directory made a file
where the disk realm answered C{550}.
"""

import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import LocalMixin, SFTPMixin
from tests.ftpclient import inLoggedInClient, replyCode
from tests.scratch import scratchDirectory


def uploads(ftp, steps):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param steps: C{(command, name, data, rest)}: C{STOR} or C{APPE} of
        C{data} to C{name}, after C{REST rest} unless C{None}.
    @return: the code of each upload's last reply.
    """
    codes = []
    for command, name, data, rest in steps:
        codes.append(replyCode(
            lambda line, data=data, rest=rest: ftp.storbinary(
                line, io.BytesIO(data), rest=rest),
            "%s %s" % (command, name)))
    return codes


class DiskLinkUploadTests(LoopbackServerMixin, unittest.TestCase):
    """
    The disk realm: a root holding C{f}, C{d/} and the links C{inside ->
    f}, C{gone -> nowhere}, C{deep -> nodir/x}, C{loop -> loop} and
    C{far ->} a file outside the root.
    """

    def setUp(self):
        base = scratchDirectory(self)
        self.root = os.path.join(base, "root")
        self.outside = os.path.join(base, "outside")
        os.makedirs(os.path.join(self.root, "d"))
        os.mkdir(self.outside)
        for path, data in ((os.path.join(self.root, "f"), b"old"),
                           (os.path.join(self.outside, "secret"), b"s")):
            with open(path, "wb") as f:
                f.write(data)
        for name, text in (("inside", "f"), ("gone", "nowhere"),
                           ("deep", "nodir/x"), ("loop", "loop"),
                           ("far", os.path.join(self.outside, "secret"))):
            os.symlink(text, os.path.join(self.root, name))

    def makeRealm(self):
        """
        @return: the realm serving C{self.root}.
        """
        return FilesystemRealm(self.root)

    def upload(self, steps):
        """
        Serve the root to alice and run L{uploads} as her.

        @return: a Deferred firing with the codes.
        """
        self.server = self.startServer(
            self.makeRealm(), ServerConfig(), users={"alice": "pw"},
            anonymous=False)
        return inLoggedInClient(self, lambda ftp: uploads(ftp, steps),
                                user="alice", password="pw", binary=True)

    def read(self, name):
        """
        @return: the bytes of the root's file C{name}.
        """
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()

    def checkLinks(self):
        """
        Check that every link is still there, as it was, and nothing
        outside the root changed.
        """
        for name, text in (("inside", "f"), ("gone", "nowhere"),
                           ("deep", "nodir/x"), ("loop", "loop")):
            self.assertEqual(os.readlink(os.path.join(self.root, name)),
                             text, name)
        self.assertEqual(os.listdir(self.outside), ["secret"])
        with open(os.path.join(self.outside, "secret"), "rb") as f:
            self.assertEqual(f.read(), b"s")

    @defer.inlineCallbacks
    def test_throughLinkInside(self):
        """
        C{STOR}, C{APPE} and C{REST} + C{STOR} through C{inside} write
        C{f}.
        """
        codes = yield self.upload([("STOR", "inside", b"new", None),
                                   ("APPE", "inside", b"+", None),
                                   ("STOR", "inside", b"W", 1)])
        self.assertEqual(codes, ["226"] * 3)
        self.assertEqual(self.read("f"), b"nW")
        self.checkLinks()

    @defer.inlineCallbacks
    def test_ontoDanglingLink(self):
        """
        C{STOR} onto C{gone} makes C{nowhere}; onto C{deep}, whose target's
        directory is missing, gets C{550}.
        """
        codes = yield self.upload([("STOR", "gone", b"made", None),
                                   ("STOR", "deep", b"x", None)])
        self.assertEqual(codes, ["226", "550"])
        self.assertEqual(self.read("nowhere"), b"made")
        self.assertEqual(sorted(os.listdir(self.root)),
                         ["d", "deep", "f", "far", "gone", "inside", "loop",
                          "nowhere"])
        self.checkLinks()

    @defer.inlineCallbacks
    def test_ontoUnfollowedLink(self):
        """
        Every upload onto C{far} or C{loop} gets C{550}.
        """
        codes = yield self.upload([
            (command, name, b"x", rest) for name in ("far", "loop")
            for command, rest in (("STOR", None), ("APPE", None),
                                  ("STOR", 1))])
        self.assertEqual(codes, ["550"] * 6)
        self.assertEqual(self.read("f"), b"old")
        self.checkLinks()


    @defer.inlineCallbacks
    def test_uniqueNames(self):
        """
        C{STOU} of a link's name takes the next name, C{gone.1},
        C{far.1}, C{loop.1}: the disk realm made C{nowhere} through
        C{gone}, C{fsspec:file://} answered C{550 File exists} once the
        upload was complete, and both answered C{550} for C{far} and
        C{loop}.
        """
        def session(ftp):
            return [ftp.storbinary("STOU " + name, io.BytesIO(b"u"))[:3]
                    for name in ("gone", "far", "loop")]

        self.server = self.startServer(
            self.makeRealm(), ServerConfig(), users={"alice": "pw"},
            anonymous=False)
        codes = yield inLoggedInClient(self, session, user="alice",
                                       password="pw", binary=True)
        self.assertEqual(codes, ["226"] * 3)
        for name in ("gone.1", "far.1", "loop.1"):
            self.assertEqual(self.read(name), b"u")
        self.assertFalse(os.path.lexists(os.path.join(self.root, "nowhere")))
        self.checkLinks()


class FsspecLinkUploadTests(LocalMixin, DiskLinkUploadTests):
    """
    The same on C{--realm fsspec:file://ROOT}.
    """


class SFTPLinkUploadTests(SFTPMixin, DiskLinkUploadTests):
    """
    The same on C{--realm fsspec:sftp://USER@HOST:PORT/ROOT}, the root
    seen through OpenSSH's SFTP server: links told from what they lead
    to, as on the disk realm.
    """
