"""
Attacks through a storage plugin's failures: what a client can make a
plugin (a shell from outside ftpkit) do wrong must not become the
client's weapon. An upload whose storage hangs does not take the session
with it (C{ABOR} ends the wait); a path the client chose, echoed in a
plugin's error, is escaped in the log; and a command or transfer a
plugin answers against its contract, repeated, gets a few lines a minute
logged, not one each.
"""

import ftplib
import io
import threading

from twisted.internet.defer import Deferred, fail, succeed
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
from tests.integration.test_plugin21 import BrokenSenderFile, errors
from tests.logevents import captureLogs
from tests.polling import waitFor


class HungStoreShell(MemoryShell):
    """
    A L{MemoryShell} whose uploads never get stored, as a storage whose
    last network call hangs.

    @ivar storing: a C{threading.Event} set once the server waits for
        the storage.
    @ivar closings: the Deferreds its files' C{close} gave.
    """

    def __init__(self):
        """
        A shell with no upload begun.
        """
        MemoryShell.__init__(self)
        self.storing = threading.Event()
        self.closings = []

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: a L{HungStoreFile}.
        """
        return succeed(HungStoreFile(self))


@implementer(IRandomWriteFile)
class HungStoreFile:
    """
    An L{IRandomWriteFile} that never stores what it received.
    """

    def __init__(self, shell):
        """
        @param shell: the L{HungStoreShell} saying how, and told when.
        """
        self._shell = shell

    def writeAt(self, offset, data):
        """
        @return: a Deferred fired already.
        """
        return succeed(None)

    def close(self):
        """
        @return: a Deferred that never fires unless the test fires it
            (L{HungStoreShell.closings}).
        """
        closing = Deferred()
        self._shell.closings.append(closing)
        self._shell.storing.set()
        return closing

    def abort(self):
        """
        Nothing to drop.
        """


class HungStoreTests(LoopbackServerMixin, unittest.TestCase):
    """
    An upload whose storage never stores it does not take the session
    with it: C{ABOR} ends the wait.
    """

    def abortHungStore(self):
        """
        Upload a few bytes whole (the data connection closed in order),
        then, once the server waits for the storage, send C{ABOR},
        C{NOOP} and C{QUIT}.

        @return: a Deferred firing with the replies' codes.
        """
        shell = self.shell = HungStoreShell()
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10, binary=True)
            connection = ftp.transfercmd("STOR g")
            connection.sendall(b"u" * 1000)
            connection.close()
            self.assertTrue(shell.storing.wait(60))
            ftp.putcmd("ABOR")
            replies = [ftp.getline()[:3], ftp.getline()[:3]]
            replies.append(ftp.sendcmd("NOOP")[:3])
            replies.append(ftp.sendcmd("QUIT")[:3])
            return replies

        return self.inThread(client)

    def test_closeNeverFires(self):
        """
        The file's C{close} does not fire: C{ABOR} gets the upload's 426
        once the commit's grace is over
        (L{ftpkit.control.opening.COMMIT_GRACE}), and its 226 (it got
        nothing, the client's read timed out), and the
        session answers C{NOOP} and C{QUIT}. When the C{close} fires at
        last, one line says that the file is in place all the same.
        """
        events = captureLogs(self)

        def storedLate(replies):
            self.assertEqual(replies, ["426", "226", "200", "221"])
            self.assertEqual(stored(), [])
            [closing] = self.shell.closings
            closing.callback(None)
            self.assertEqual(len(stored()), 1)

        def stored():
            return [event for event in events
                    if "after its ABOR" in event.get("log_format", "")]

        return self.abortHungStore().addCallback(storedLate)


EVIL = "\x1b[2J\x1b[31mx\u202e"
"""A name with a terminal's escape sequences (clear the screen, red) and
a right-to-left override."""


class PathInMessageShell(MemoryShell):
    """
    A L{MemoryShell} (from outside ftpkit, as the test's module is) whose
    downloads fail with the path in the exception's text, as many
    libraries' errors say it.
    """

    def openForReading(self, path, offset=0):
        """
        @raise ValueError: always.
        """
        raise ValueError("cannot open /" + "/".join(path))


class LogInjectionTests(LoopbackServerMixin, unittest.TestCase):
    """
    The lines a plugin's failure makes hold a path the client chose
    escaped, as the lines of the log's events do.
    """

    def download(self, shell, name):
        """
        C{RETR} C{name} from C{shell}.

        @return: a Deferred firing with the reply's code once the server
            has logged the failure, and the text of every line logged.
        """
        server = self.startServer(SharedShellRealm(shell))
        events = captureLogs(self)

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            try:
                ftp.retrbinary("RETR " + name, io.BytesIO().write)
                reply = "226"
            except ftplib.Error as error:
                reply = str(error)[:3]
            except OSError:
                reply = ftp.getline()[:3]
            ftp.sendcmd("NOOP")
            return reply

        def texts(reply):
            return reply, [formatEvent(event) for event in events]

        return self.inThread(client).addCallback(texts)

    def assertEscaped(self, outcome, code, said):
        """
        @param outcome: what L{download} fired with.
        @param code: the reply code expected.
        @param said: text a line holds.
        """
        reply, lines = outcome
        self.assertEqual(reply, code)
        self.assertTrue([line for line in lines if said in line], lines)
        self.assertFalse([line for line in lines if "\x1b" in line
                          or "\u202e" in line], lines)

    def test_pluginMessage(self):
        """
        A plugin's exception whose text holds the path: C{451}, and the
        line says it with C{\\x1b} and C{\\u202e} escaped.
        """
        return self.download(PathInMessageShell(), EVIL).addCallback(
            self.assertEscaped, "451", "\\x1b[2J\\x1b[31mx\\u202e")

    def test_sendingFailed(self):
        """
        A download whose C{send} raises: C{426}, and the line naming the
        transfer has its path escaped.
        """
        shell = MemoryShell()
        shell.openForReading = lambda path, offset=0: succeed(
            BrokenSenderFile("raise"))
        return self.download(shell, EVIL).addCallback(
            self.assertEscaped, "426", "Sending 'RETR /\\x1b[2J")


class MissingIsOSErrorShell(MemoryShell):
    """
    A L{MemoryShell} (from outside ftpkit) whose C{stat} lets the
    system's error out for a missing file, as a plugin calling C{os}
    does, rather than failing with L{ftpkit.errors.NoSuchFile}.
    """

    def stat(self, path, keys=()):
        """
        @raise FileNotFoundError: always.
        """
        raise FileNotFoundError(2, "No such file or directory")


class ComplaintFloodTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client repeating a command that a plugin answers against its
    contract has a few lines a minute logged for its session, not one
    each.
    """

    def test_sizeFlood(self):
        """
        Fifty C{SIZE} of a missing file on such a plugin: each gets
        C{550}, and the session has ten lines logged.
        """
        server = self.startServer(SharedShellRealm(MissingIsOSErrorShell()))
        events = captureLogs(self)

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            ftp.voidcmd("TYPE I")
            ftp.sock.sendall(b"SIZE missing\r\n" * 50)
            codes = {ftp.getline()[:3] for _ in range(50)}
            ftp.sendcmd("NOOP")
            return codes

        def check(codes):
            self.assertEqual(codes, {"550"})
            # The count of those left out comes once the session ends,
            # which may be before this looks or after.
            lines = [event for event in events
                     if "MissingIsOSErrorShell" in formatEvent(event)
                     and event.get("ftpkit_event") != COMPLAINTS_NOT_LOGGED]
            self.assertEqual(len(lines), 10)

        return self.inThread(client).addCallback(check)


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
        events = captureLogs(self)

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            codes = {transfer(ftp, command) for _ in range(TIMES)}
            ftp.quit()
            return codes

        codes = await self.inThread(client)

        def counted():
            return [event for event in events
                    if event.get("ftpkit_event") == COMPLAINTS_NOT_LOGGED]
        # The logout's line: within the polling's minute, not 5 s, which
        # a loaded machine's session end may take.
        await waitFor(counted)
        counts = counted()
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
