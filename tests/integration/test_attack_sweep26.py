"""
The twenty-sixth attack sweep, over real loopback sockets.

A cut upload of a file whose name is longer than 239 bytes (80 CJK
characters in UTF-8 are 240) kept nothing: its partial upload is named
C{.ftpkit-partial.NAME}, which could not be made longer than a name may
be. So its uploader's C{SIZE} answered the old file's size, and a client
resuming from it (curl's C{-C - -T}, lftp's C{put -c} and its retries,
WinSCP) wrote the new file's rest after the old file's start in place:
told C{226}, it left a file that was neither version (the outcome the
session 27 fix of a cut replacing upload's resume, C{a4f8051}, is about,
for the names too long for it). A crashed upload of a name over about
210 bytes had the same end: its temporary file had no room for the
name, so the sweep at the next start removed it. The hidden files of a
name over 200 bytes now name it by a stand-in
(L{ftpkit.shells.uploadnames.targetLabel}), so its cut upload is kept
and resumed as any other, and a crashed one's temporary file becomes its
partial upload (L{LongNameResumeTests}).

C{--max-download-rate} and C{--max-upload-rate} (and a users file's
rates) limit a session, but each transfer drew on a limit of its own,
which started full: each began with a burst of a tenth of a second's
worth (at least 4 KiB), so a session's small transfers one after another
were not paced at all. A mirror of a directory of 4 KiB files, a client
fetching a file in 4 KiB pieces (C{REST} + C{RETR}, C{ABOR}), or a
stream of small listings, went at the network's speed whatever the
rate. A session's transfers now draw on one limit each way
(L{ftpkit.protocol.sessionstate.Session.rateLimits}), so only a session
that was idle starts with a burst (L{SessionRateTests}).

Tried and held (C{python -m ftpkit}, the disk realm with two users
sharing a root, C{fsspec:file://}, C{--max-upload-rate} and
C{--max-download-rate}):
    - a FIFO, a socket and a link to the FIFO made in the root by a local
      user: C{SIZE}, C{MDTM} C{550 Not a regular file}; C{HASH}, C{XCRC},
      C{XMD5} C{550}; C{RETR}, C{APPE} C{550}; C{MLST}, C{STAT} answered
      at once; C{MFMT}, C{SITE CHMOD} change the node without opening it;
      C{STOR} replaces it with a file; on C{fsspec:file://} the same, and
      C{REST} + C{STOR} C{554}; no thread held, no traceback;
    - C{STOU} of an existing name of 254 or 255 bytes: C{553 File name
      too long}; C{APPE} and C{REST} + C{STOR} of a 255-byte name: the
      bytes where they belong;
    - once fixed, a long name's partial upload: not in C{LIST -a} or
      C{NLST}, C{MLST} of its name C{550}; another user's C{SIZE} answers
      the file's size, and their C{APPE} makes the partial upload stale
      (the resumer's C{SIZE} then answers the file's too); its directory
      renamed, the resume in the new place whole; C{DELE} of the file and
      C{RMD} of a directory holding only its partial upload: removed;
    - once fixed, small uploads and C{APPE} paced at the session's rate;
      a login after C{REIN} starts with a burst of its own.

Found, not fixed: on C{fsspec:file://} and C{--realm memory} a cut
C{STOR} keeps nothing for a resume, so its uploader's C{SIZE} answers the
old file's size and a resume from it (as above) leaves the old file's
start and the new file's rest, told C{226}: what the disk realm's partial
uploads prevent, which those realms do not have
(C{docs/object-storage.rst} says so now). And a client in C{TYPE A}
(ftplib after C{retrlines}) is told the file's size by C{SIZE}, not its
cut upload's, as C{docs/deployment.rst} has it.
"""

import os

from twisted.internet import reactor
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.handlers import transferring
from ftpkit.data.movers import pacing
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.sessionstate import Session
from tests.ftpclient import ftplibLogin
from tests.scratch import writeLocal


class _FrozenClock:
    """
    The time the session's rate limits see: it stands still until the
    test lets it go.

    @ivar now: the time given while it stands still, seconds; C{None}
        once it goes as the reactor's does.
    """

    def __init__(self):
        self.now = reactor.seconds()

    def seconds(self):
        """
        @return: L{now}, or the reactor's time once let go.
        """
        return reactor.seconds() if self.now is None else self.now


class SessionRateTests(LoopbackServerMixin, unittest.TestCase):
    """
    A session's small downloads one after another share its rate: the
    server's rate limits see a clock that stands still, so a download
    after one that took the session's whole burst may send nothing until
    the test moves that clock on.
    """

    RATE = 40960
    """The session's rate: its burst is 4 KiB, the smallest."""

    def setUp(self):
        self.root = self.mktemp()
        os.makedirs(self.root)
        burst = pacing.RateLimit(self.RATE, _FrozenClock()).burst
        self.files = {}
        for name in ("a", "b"):
            self.files[name] = os.urandom(burst)
            writeLocal(os.path.join(self.root, name), self.files[name])
        self.clock = _FrozenClock()

        def frozen(incoming, config, serverWide, clock, *args):
            return pacing.pacerFor(incoming, config, serverWide,
                                   self.clock, *args)
        self.patch(transferring, "pacerFor", frozen)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(maxDownloadRate=self.RATE))

    def downloads(self):
        """
        Download C{a}, which takes the burst; then start C{b} and ask
        C{STAT} once its C{150} came; then let the clock go and read C{b}
        (blocking).

        @return: C{(C{a}, the two replies after C{b}'s 150, C{b})}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        first = []
        ftp.retrbinary("RETR a", first.append)
        connection = ftp.transfercmd("RETR b")
        ftp.putcmd("STAT")
        during = ftp.getmultiline()

        def letGo():
            self.clock.now = None
        reactor.callFromThread(letGo)
        second = []
        while True:
            data = connection.recv(65536)
            if not data:
                break
            second.append(data)
        connection.close()
        replies = [during, ftp.getmultiline()]
        ftp.quit()
        return b"".join(first), replies, b"".join(second)

    async def test_secondWaits(self):
        """
        C{b} sends nothing while the clock stands still (its C{STAT} says
        0 bytes, before its C{226}), then comes whole.
        """
        first, replies, second = await self.inThread(self.downloads)
        self.assertEqual(first, self.files["a"])
        self.assertEqual(second, self.files["b"])
        self.assertTrue(replies[0].startswith("213"), replies)
        self.assertIn(": 0 bytes transferred", replies[0])
        self.assertTrue(replies[1].startswith("226"), replies)


class SessionLimitTests(unittest.SynchronousTestCase):
    """
    L{pacing.pacerFor} given a session's limits.
    """

    def setUp(self):
        self.clock = _FrozenClock()
        self.config = ServerConfig(maxDownloadRate=SessionRateTests.RATE)
        self.wide = pacing.serverLimits(None, self.clock)

    def pacer(self, session):
        """
        @param session: a L{Session}.
        @return: the pacer of a download of C{session}.
        """
        return pacing.pacerFor(False, self.config, self.wide, self.clock,
                               (None, None), session.rateLimits)

    def test_sharedBySession(self):
        """
        A session's second download gets nothing of a burst its first
        took, at the same moment; a new session (as after C{REIN}) has a
        limit of its own.
        """
        session = Session()
        first = self.pacer(session)
        self.assertEqual(first.allowance(1 << 20), 4096)
        first.spent(4096)
        self.assertEqual(self.pacer(session).allowance(1 << 20), 0)
        self.assertEqual(self.pacer(Session()).allowance(1 << 20), 4096)

    def test_userRate(self):
        """
        A rate other than the one the session's limit has (a user's own)
        gets a limit of its own.
        """
        session = Session()
        self.pacer(session).spent(4096)
        pacer = pacing.pacerFor(False, self.config, self.wide, self.clock,
                                (8192, None), session.rateLimits)
        self.assertEqual(pacer.allowance(1 << 20), 4096)
        self.assertEqual(session.rateLimits[False].rate, 8192)
