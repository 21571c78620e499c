"""
A rename whose new name clashes with a directory gets the same reply on
every realm: a directory moved onto one of its own subdirectories,
existing or not, gets C{553 Cannot move a directory into itself}
(L{ftpkit.errors.MovedIntoItself}: the reason, which the kernel's check
order gives too, C{EINVAL} before looking at the new name), where the
disk realm answered C{550 File exists} for an existing one; nothing
replaces a directory, empty or not (C{550 File exists}); a directory
does not replace a file (C{550 Not a directory}). Each refusal leaves
both names as they were.
"""

import ftplib
import io

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from tests.everyrealm import EveryRealmMixin
from tests.ftpclient import ftplibLogin

RENAMES = {
    ("d", "d/sub"): "553 Cannot move a directory into itself",
    ("d", "d/sub/deeper"): "553 Cannot move a directory into itself",
    ("d", "d/new"): "553 Cannot move a directory into itself",
    ("d", "empty"): "550 File exists",
    ("d", "full"): "550 File exists",
    ("f", "empty"): "550 File exists",
    ("d", "g"): "550 Not a directory",
}
"""Each refused rename (old name, new name) and its C{RNTO} reply."""


def _rename(ftp, old, new):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param old: the name for C{RNFR}.
    @param new: the name for C{RNTO}.
    @return: the C{RNTO} reply, an error's included.
    """
    ftp.sendcmd("RNFR " + old)
    try:
        return ftp.sendcmd("RNTO " + new)
    except ftplib.all_errors as e:
        return str(e)


class RenameClashTests(EveryRealmMixin, LoopbackServerMixin,
                        unittest.TestCase):
    """
    A real server on each realm, and C{ftplib}.
    """

    @defer.inlineCallbacks
    def check(self, realm):
        """
        Make C{d/sub/deeper}, C{empty}, C{full/x}, and the files C{f} and
        C{g}; each of L{RENAMES} gets its reply, and every name is still
        there after them.

        @param realm: the realm served.
        """
        server = self.startServer(realm, users={"alice": "pw"},
                                  anonymous=False)

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            for directory in ("d", "d/sub", "d/sub/deeper", "empty", "full",
                              "full/x"):
                ftp.mkd(directory)
            for name in ("f", "g"):
                ftp.storbinary("STOR " + name, io.BytesIO(b"kept"))
            replies = {names: _rename(ftp, *names) for names in RENAMES}
            left = {name: ftp.sendcmd("MLST " + name).split("\n")[1]
                    .split(";")[0].strip()
                    for name in ("d", "d/sub", "d/sub/deeper", "empty",
                                 "full", "f", "g")}
            ftp.quit()
            return replies, left

        replies, left = yield self.inThread(client)
        self.assertEqual(replies, RENAMES)
        self.assertEqual(left, {"d": "type=dir", "d/sub": "type=dir",
                                "d/sub/deeper": "type=dir",
                                "empty": "type=dir", "full": "type=dir",
                                "f": "type=file", "g": "type=file"})
