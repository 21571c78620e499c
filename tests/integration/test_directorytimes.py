"""
A directory's modification time set over FTP (C{MFMT}, C{SITE UTIME} in
either form, C{MFF}'s C{modify}), as ProFTPD 1.3.8 sets it: on every
realm that keeps directories' times (the disk, C{--realm memory},
C{fsspec:file://}); C{fsspec:memory://}, whose directories have no time,
answers C{550} saying so. Each answered C{550 Is a directory}.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from tests.everyrealm import EveryRealmMixin
from tests.ftpclient import ftplibLogin, replyText

SETTINGS = (("MFMT 20040224083600 d", "MLST d"),
            ("SITE UTIME 200402240837 d/e", "MLST d/e"),
            ("SITE UTIME d/f 20040224083800 20040224083800 20040224083800 "
             "UTC", "MLST d/f"),
            ("MFF modify=20040224083900; d/e/", "MLST d/e"))
"""Each way of setting a directory's time, and the command reading it."""

EXPECTED = ("modify=20040224083600;", "modify=20040224083700;",
            "modify=20040224083800;", "modify=20040224083900;")
"""The C{modify} fact each of L{SETTINGS} then reads."""

NOT_KEPT = "550 This storage keeps no time for directories"
"""The refusal where the storage keeps no directory times."""


class DirectoryTimeTests(EveryRealmMixin, LoopbackServerMixin,
                         unittest.TestCase):
    """
    Directory times set through each realm's storage, read back with
    C{MLST}.
    """

    @defer.inlineCallbacks
    def check(self, realm):
        """
        Make C{d}, C{d/e} and C{d/f}; each way of setting a time gets its
        success reply and the directory then has that time, or (where
        the storage keeps none) C{550} saying so.

        @param realm: the realm served.
        """
        server = self.startServer(realm)

        def client():
            ftp = ftplibLogin(self, server.port)
            for name in ("d", "d/e", "d/f"):
                ftp.mkd(name)
            seen = [(replyText(ftp, setting), replyText(ftp, reading))
                    for setting, reading in SETTINGS]
            ftp.quit()
            return seen

        seen = yield self.inThread(client)
        kept = "modify=" in seen[0][1]
        for (reply, facts), expected in zip(seen, EXPECTED):
            if kept:
                self.assertEqual(reply[:1], "2", reply)
                self.assertIn(expected, facts)
            else:
                self.assertEqual(reply, NOT_KEPT)
        self.assertEqual(kept, not self.id().endswith("test_fsspecMemory"))
