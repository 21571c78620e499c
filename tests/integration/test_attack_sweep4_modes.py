"""
The fourth attack sweep, over real loopback sockets: an upload never
leaves a set-user-ID or set-group-ID bit on the file it writes.

An upload replacing a file copied the old file's mode onto the new one,
special bits included; the new file is the server's, so a local user who
put a set-user-ID program of their own where they may also upload by FTP
got, after one C{STOR}, a set-user-ID program of the server's account
(root, when it runs as root) holding their bytes. Written in place
(C{APPE}, C{REST} + C{STOR}), a program kept its bits with the uploader's
bytes, which the kernel prevents for a writer without C{CAP_FSETID} but a
server running as root has it.
"""

import io
import os
import stat

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory


class PrivilegeBitsTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory holding programs with their set-user-ID and
    set-group-ID bits on (mode C{6755}), and a user who may change them.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        for name in ("replaced", "appended", "resumed"):
            path = os.path.join(self.root, name)
            with open(path, "wb") as f:
                f.write(b"#!/bin/sh\n")
            os.chmod(path, 0o6755)
        self.server = self.startServer(
            self.makeRealm(), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def makeRealm(self):
        """
        @return: the realm served: the disk under C{self.root}.
        """
        return FilesystemRealm(self.root)

    def mode(self, name):
        """
        @return: the permission bits of C{name} in the root.
        """
        return stat.S_IMODE(os.stat(os.path.join(self.root, name)).st_mode)

    def upload(self):
        """
        C{STOR} over C{replaced}, C{APPE} to C{appended}, C{REST} and
        C{STOR} into C{resumed} (blocking).

        @return: their final replies.
        """
        ftp = ftplibLogin(self, self.server.port)
        replies = [
            ftp.storbinary("STOR replaced", io.BytesIO(b"id\n")),
            ftp.storbinary("APPE appended", io.BytesIO(b"id\n")),
            ftp.storbinary("STOR resumed", io.BytesIO(b"id\n"), rest=10),
        ]
        ftp.close()
        return replies

    @defer.inlineCallbacks
    def test_uploadsDropPrivilegeBits(self):
        """
        C{STOR} over a program, C{APPE} to one and C{REST} + C{STOR} into
        one each leave it without those bits, its other bits kept.
        """
        replies = yield self.inThread(self.upload)
        self.assertEqual([reply[:3] for reply in replies], ["226"] * 3)
        self.assertEqual(
            [self.mode(name) for name in ("replaced", "appended", "resumed")],
            [0o755] * 3)
        with open(os.path.join(self.root, "resumed"), "rb") as f:
            self.assertEqual(f.read(), b"#!/bin/sh\nid\n")
