"""
The thirtieth attack sweep, over real loopback sockets.

The lines saying how the files a storage plugin opened broke were one
for each transfer, where the plugin's shell's own lines were ten a
minute for each method in a session, then a count
(L{ftpkit.shells.contract}): a client repeating C{RETR} of a file whose
C{readAt} failed had a C{Reading ... failed} line logged for each, one
whose C{send} raised a C{Sending ... failed} line, and so with a
download's C{close}, an upload's C{writeAt} and C{close}, and a
listing's batches (30 lines for 30 commands). The files a plugin's shell
opens are held with its methods now, their lines counted with the
session's others: ten a minute for each method, then one line counting
the rest (L{DownloadComplaintFloodTests}; the held files alone:
C{tests.unit.test_heldfiles}).

Tried and held (C{python -m ftpkit}, one process and C{--workers 2}, the
disk realm, C{--realm memory} and C{fsspec:file://}, scripts in the
sweep's notes):
    - cut uploads kept for alice, asked for by bob: C{SIZE}, C{MLST},
      C{RNFR}, C{DELE}, C{MDTM}, C{HASH}, C{XMD5}, C{XCRC}, C{CWD},
      C{RETR}, C{SITE CHMOD}/C{UTIME}, C{MFMT}, C{STAT} of the hidden
      name (also as C{./}, C{//}, C{x/../}, a trailing C{/}, a wildcard)
      C{550}; C{RNTO}, C{APPE}, C{STOU} to it C{553}; no C{LIST -a},
      C{NLST -a}, C{MLSD}, C{STAT -a}, C{STAT -R} or C{LIST -R} shows
      one; bob's C{SIZE} of the target C{550}, his C{REST} + C{STOR}
      C{554}; alice's resume then whole (101,000 bytes);
    - six sessions of one user resuming one cut upload at once: one
      C{226}, the others refused, the file the cut bytes and the one
      resume's (C{fsspec:file://} under C{--workers 2}: C{450}; the disk
      realm: see below);
    - names of 255 bytes, C{U+202E}, a tab, leading and trailing spaces,
      C{...}, and bytes that are not UTF-8 (C{\xff\xfe}, an overlong
      C{\xc0\xaf}, a lone surrogate, a name cut inside a character,
      past U+10FFFF) cut and resumed: whole, on the three realms; names
      of 1,000 bytes and 300 C{é} C{553};
    - C{ABOR} at each stage of a C{PROT P} transfer, explicit and
      implicit FTPS, one process and C{--workers 2}: before the data
      connection, on a TCP connection that never starts TLS, after the
      C{ClientHello} alone (C{425}, C{226}), midway through a 20 MB
      C{RETR} or C{STOR} (C{426}, C{226}), an upload ended without
      C{close_notify}, after the whole download read (C{426}, C{226}),
      with no transfer (C{225}); each session then downloads whole;
    - C{REIN} during a C{STOR} or a C{RETR} (the transfer ends first, as
      RFC 959 has it), then another user's login on the connection;
      C{USER} again while logged in C{530}: the ten logins a connection
      hold;
    - under C{--workers 2}, four sessions pipelining C{STAT} of a 3,000
      file directory (2.9 MB sent, no reply read) and eight C{RETR} of
      20 MB never read, over TLS and in clear: the workers' memory grew
      5 MB and then not at all, another login 2 ms, C{ABOR} answered at
      once;
    - user names, C{CLNT}, C{HOST}, C{MKD}, C{RNFR}/C{RNTO} (the rename's
      target too), C{SITE}, C{MFMT} and C{SIZE} holding ESC sequences,
      BEL, VT, FF, a lone CR, NEL, U+2028, U+202E, U+200F, U+FEFF, NUL
      and bytes that are not UTF-8: none raw in the text log, written
      straight (L{ftpkit.ops.directlines}) or the general way;
    - the log throttles' summaries: one timer for the server
      (refusals, peers' warnings), one for each listener, and one for
      each session with a plugin's shell, dropped at its logout: none
      piles up with connections.

Found here, fixed in the same session (tests/integration/
test_keptdisk.py): on the disk realm, a second resume of a cut upload
of a new file that came while the first ran got C{554} (the taken
partial upload had a name no resume could find), not the C{450}
C{docs/deployment.rst} promises; and a resume whose target another user
had made a directory got C{550} and lost the partial upload (the newer
directory made it stale).
"""

import ftplib
import io

from twisted.internet import reactor, task
from twisted.internet.defer import fail, succeed
from twisted.logger import formatEvent
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.interfaces import (
    IDirectoryListing,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.contract import COMPLAINT_LINES, COMPLAINTS_NOT_LOGGED
from ftpkit.shells.memory import MemoryShell
from tests.ftpclient import ftplibLogin
from tests.integration.test_plugin21 import errors, logged

TIMES = 30
"""How many transfers a flooding client asks for."""


@implementer(IRandomReadFile)
class BrokenRandomFile:
    """
    An L{IRandomReadFile} of ten bytes that breaks as C{how} says.
    """

    size = 10

    def __init__(self, how):
        """
        @param how: C{"readAt"} (its reads fail) or C{"close"} (its
            C{close} raises).
        """
        self._how = how

    def readAt(self, offset, length):
        """
        @return: the bytes, or a failed Deferred.
        """
        if self._how == "readAt":
            return fail(RuntimeError("readAt broke"))
        return succeed(b"x" * min(length, self.size - offset))

    def close(self):
        """
        @raise RuntimeError: when told to.
        """
        if self._how == "close":
            raise RuntimeError("close broke")


@implementer(IReadFile)
class RaisingSenderFile:
    """
    An L{IReadFile} whose C{send} raises.
    """

    size = 10

    def send(self, consumer):
        """
        @raise RuntimeError: always.
        """
        raise RuntimeError("send broke")

    def close(self):
        """
        Nothing to release.
        """


@implementer(IRandomWriteFile)
class FailingWriteFile:
    """
    An L{IRandomWriteFile} whose writes fail.
    """

    def writeAt(self, offset, data):
        """
        @return: a failed Deferred.
        """
        return fail(RuntimeError("writeAt broke"))

    def close(self):
        """
        @return: a fired Deferred.
        """
        return succeed(None)

    def abort(self):
        """
        @return: a fired Deferred.
        """
        return succeed(None)


@implementer(IDirectoryListing)
class FailingListing:
    """
    A listing whose batches fail.
    """

    def nextBatch(self):
        """
        @return: a failed Deferred.
        """
        return fail(RuntimeError("nextBatch broke"))

    def close(self):
        """
        Nothing to release.
        """


class BrokenFilesShell(MemoryShell):
    """
    A L{MemoryShell} (from outside ftpkit, as the test's module is) whose
    files break as C{how} says.
    """

    def __init__(self, how):
        """
        @param how: C{"readAt"}, C{"close"}, C{"send"}, C{"writeAt"} or
            C{"nextBatch"} (its listings').
        """
        MemoryShell.__init__(self)
        self.how = how

    def openForReading(self, path, offset=0):
        """
        @return: a L{RaisingSenderFile} or a L{BrokenRandomFile}.
        """
        if self.how == "send":
            return succeed(RaisingSenderFile())
        return succeed(BrokenRandomFile(self.how))

    def openForWriting(self, path, offset=0, append=False):
        """
        @return: a L{FailingWriteFile}.
        """
        return succeed(FailingWriteFile())

    def openListing(self, path):
        """
        @return: a L{FailingListing}.
        """
        return succeed(FailingListing())


def transfer(ftp, command):
    """
    Run one transfer, whatever its reply.

    @param ftp: a logged-in C{ftplib.FTP}.
    @param command: C{"RETR f"}, C{"STOR f"} or C{"LIST"}.
    @return: the final reply's code.
    """
    try:
        if command == "LIST":
            return ftp.retrlines(command, lambda line: None)[:3]
        if command.startswith("RETR"):
            return ftp.retrbinary(command, io.BytesIO().write)[:3]
        return ftp.storbinary(command, io.BytesIO(b"y" * 100))[:3]
    except ftplib.Error as error:
        return str(error)[:3]
    except OSError:
        # The data connection was reset: the reply follows.
        try:
            return ftp.getresp()[:3]
        except ftplib.Error as error:
            return str(error)[:3]


class DownloadComplaintFloodTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client repeating a transfer whose plugin file breaks has ten lines a
    minute logged for each method, then, at its logout, one counting the
    others.
    """

    async def flood(self, how, command, said):
        """
        Run L{TIMES} transfers on one session, then C{QUIT}.

        @param how: see L{BrokenFilesShell}.
        @param command: the transfer's command.
        @param said: the text of the lines counted.
        @return: the replies' codes.
        """
        server = self.startServer(SharedShellRealm(BrokenFilesShell(how)))
        events = logged(self)

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            codes = {transfer(ftp, command) for _ in range(TIMES)}
            ftp.quit()
            return codes

        codes = await self.inThread(client)
        for _ in range(100):
            counts = [event for event in events
                      if event.get("ftpkit_event") == COMPLAINTS_NOT_LOGGED]
            if counts:
                break
            await task.deferLater(reactor, 0.05, lambda: None)
        lines = [formatEvent(event) for event in errors(events)]
        self.assertEqual(len([line for line in lines if said in line]),
                         COMPLAINT_LINES, lines)
        self.assertEqual([(event["method"], event["count"])
                          for event in counts],
                         [(how, TIMES - COMPLAINT_LINES)])
        return codes

    async def test_readAtFails(self):
        """
        C{RETR} of a file whose reads fail: C{451} or C{426} each time,
        ten C{Reading ... failed} lines.
        """
        codes = await self.flood("readAt", "RETR f", "readAt broke")
        self.assertLessEqual(codes, {"426", "451"})

    async def test_sendRaises(self):
        """
        C{RETR} of a file whose C{send} raises: C{426} each time, ten
        lines.
        """
        codes = await self.flood("send", "RETR f", "send broke")
        self.assertEqual(codes, {"426"})

    async def test_closeFails(self):
        """
        C{RETR} of a file whose C{close} raises: the download whole
        (C{226}), ten lines.
        """
        codes = await self.flood("close", "RETR f", "close broke")
        self.assertEqual(codes, {"226"})

    async def test_writeAtFails(self):
        """
        C{STOR} into a file whose writes fail: C{451} each time, ten
        lines.
        """
        codes = await self.flood("writeAt", "STOR f", "writeAt broke")
        self.assertEqual(codes, {"451"})

    async def test_listingFails(self):
        """
        C{LIST} of a listing whose batches fail: C{426} each time, ten
        lines.
        """
        codes = await self.flood("nextBatch", "LIST", "nextBatch broke")
        self.assertEqual(codes, {"426"})
