"""
Storage plugins that misbehave as outside ones do, and plugins written
the older producer/consumer way: what the server and the conformance kit
make of them (the twenty-first plugin author's sweep).
"""

import ftplib
import io
import threading

from twisted.cred.portal import IRealm
from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import formatEvent
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.errors import LocalError
from ftpkit.interfaces import (
    IFTPShell,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.adapters import READ_SIZE, readFileFor
from ftpkit.shells.memory import MemoryShell
from ftpkit.testing import (
    CollectingConsumer,
    IFTPShellConformanceMixin,
    writeFile,
)
from tests.ftpclient import ftplibLogin
from tests.lateends import LastByteSenderFile, LastByteSenderShell
from tests.logevents import captureLogs


@implementer(IRandomReadFile)
class RandomFile:
    """
    An L{IRandomReadFile} whose reads give what C{answer} makes of the
    bytes asked for, at once.
    """

    def __init__(self, data, answer):
        """
        @param data: the file's bytes.
        @param answer: a callable given the bytes at the offset asked
            for, up to twice the length asked for, and the length;
            returning what the read fires with.
        """
        self.size = len(data)
        self._data = data
        self._answer = answer

    def readAt(self, offset, length):
        """
        @return: a fired Deferred of what C{answer} gives.
        """
        return succeed(self._answer(
            self._data[offset:offset + 2 * length], length))

    def close(self):
        """
        Nothing to release.
        """


def errors(events):
    """
    @param events: log events.
    @return: those at level error or above, or carrying a failure.
    """
    return [event for event in events
            if "log_failure" in event
            or getattr(event.get("log_level"), "name", "") in ("error",
                                                               "critical")]


class BrokenReadTests(unittest.TestCase):
    """
    A read that breaks L{IRandomReadFile.readAt}'s promise fails the
    download with L{LocalError} and one log line, rather than send the
    client something other than the file with a C{226}.
    """

    def assertRefused(self, answer):
        """
        Send a file of three reads whose every read gives C{answer}.

        @param answer: see L{RandomFile}.
        """
        events = captureLogs(self)
        data = bytes(range(256)) * (3 * READ_SIZE // 256)
        consumer = CollectingConsumer()
        sending = readFileFor(RandomFile(data, answer)).send(consumer)
        self.failureResultOf(sending, LocalError)
        self.assertEqual(consumer.value(), b"")
        self.assertEqual(len(errors(events)), 1)

    def test_moreThanAsked(self):
        """
        A read giving more bytes than asked for is refused: they would
        overlap the next read's (the download came out 1,785,856 bytes
        long for a 1,024,000-byte file, with 226).
        """
        self.assertRefused(lambda data, length: data)

    def test_notBytes(self):
        """
        A read giving text is refused with a line naming the file's
        mistake (it was a C{TypeError} in the transport, logged as "The
        consumer stopped the transfer").
        """
        self.assertRefused(lambda data, length: "text")

    def test_none(self):
        """
        A read giving C{None} is refused likewise.
        """
        self.assertRefused(lambda data, length: None)

    def test_raises(self):
        """
        A read raising an exception that is no L{FTPError} is logged,
        once for the reads in flight together (it was not logged at all:
        the operator saw only the client's 426), and fails the download
        with L{LocalError}.
        """
        def answer(data, length):
            raise RuntimeError("storage bug")
        events = captureLogs(self)
        self.assertRefused(answer)
        [line] = errors(events)
        self.assertIn("RuntimeError: storage bug (raised at ", line["why"])
        self.assertNotIn("log_failure", line)
        self.assertEqual(self.flushLoggedErrors(), [])

    def test_bytesLikeKept(self):
        """
        A C{bytearray} or C{memoryview} of no more than the length asked
        for is sent as it is.
        """
        data = b"m" * (READ_SIZE + 7)
        for kind in (bytearray, memoryview):
            consumer = CollectingConsumer()
            sending = readFileFor(RandomFile(
                data, lambda chunk, length, kind=kind: kind(chunk[:length]))
            ).send(consumer)
            self.assertEqual(self.successResultOf(sending), len(data))
            self.assertEqual(consumer.value(), data)


class BrokenReadServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    Over a real connection, such a download gets a 4xx reply and the
    session goes on.
    """

    def test_moreThanAsked(self):
        """
        C{RETR} of a file whose reads give more than asked gets 426, not
        226 with the wrong bytes; C{NOOP} still works.
        """
        shell = MemoryShell()
        data = b"z" * (3 * READ_SIZE)
        original = shell.openForReading

        def openForReading(path, offset=0):
            return original(path, offset).addCallback(
                lambda opened: RandomFile(data, lambda chunk, length: chunk))

        shell.openForReading = openForReading
        self.successResultOf(writeFile(shell, ("f",), data))
        server = self.startServer(SharedShellRealm(shell))
        events = captureLogs(self)

        def client():
            ftp = ftplibLogin(self, server.port)
            received = io.BytesIO()
            try:
                ftp.retrbinary("RETR f", received.write)
            except ftplib.error_temp as error:
                reply = str(error)
            except OSError:
                # The data connection was reset: the reply follows.
                try:
                    reply = ftp.getresp()
                except ftplib.error_temp as error:
                    reply = str(error)
            else:
                reply = "226"
            noop = ftp.sendcmd("NOOP")
            ftp.quit()
            return reply, noop

        def check(result):
            reply, noop = result
            self.assertEqual(reply[:1], "4")
            self.assertEqual(noop[:3], "200")
            self.assertEqual(len(errors(events)), 1)

        return self.inThread(client).addCallback(check)


class SenderFile(LastByteSenderFile):
    """
    An L{IReadFile} as plugins of earlier releases wrote them: Twisted's
    C{FileSender}, a pull producer, sends the bytes, and the send fires
    with their count.
    """

    def send(self, consumer):
        """
        See L{IReadFile.send}.
        """
        return LastByteSenderFile.send(self, consumer).addCallback(
            lambda ignored: self.size)


class SenderShell(LastByteSenderShell):
    """
    A L{MemoryShell} whose downloads are L{SenderFile}s.
    """

    fileType = SenderFile


class PullProducerConformanceTests(IFTPShellConformanceMixin,
                                   unittest.TestCase):
    """
    The conformance kit runs a shell whose downloads are sent by a pull
    producer (it never asked one for bytes: every download test hung
    until trial's timeout, 120 s each, and the kit required a streaming
    producer the server does not need).
    """

    timeout = 20

    def makeShell(self):
        """
        @return: a new L{SenderShell}.
        """
        return SenderShell()


class PullProducerServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    The server sends such a file whole, as the kit now says.
    """

    def test_download(self):
        """
        C{RETR} of a L{SenderShell} file gets every byte and 226.
        """
        shell = SenderShell()
        data = bytes(range(256)) * 4096
        self.successResultOf(writeFile(shell, ("f",), data))
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplibLogin(self, server.port)
            received = io.BytesIO()
            reply = ftp.retrbinary("RETR f", received.write)
            ftp.quit()
            return reply, received.getvalue()

        def check(result):
            self.assertEqual(result, ("226 Transfer complete", data))

        return self.inThread(client).addCallback(check)


class HungWriteShell(MemoryShell):
    """
    A L{MemoryShell} whose uploads' writes never end, as a storage whose
    network call hangs.

    @ivar aborted: how many of its uploads were aborted.
    @ivar writing: a C{threading.Event} set at the first write.
    """

    aborted = 0

    def __init__(self):
        """
        A shell with no upload begun.
        """
        MemoryShell.__init__(self)
        self.writing = threading.Event()

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: a L{HungWriteFile}.
        """
        return succeed(HungWriteFile(self))


@implementer(IRandomWriteFile)
class HungWriteFile:
    """
    An L{IRandomWriteFile} whose C{writeAt} never fires.
    """

    def __init__(self, shell):
        """
        @param shell: the L{HungWriteShell} counting aborts.
        """
        self._shell = shell

    def writeAt(self, offset, data):
        """
        @return: a Deferred that never fires.
        """
        self._shell.writing.set()
        return Deferred()

    def close(self):
        """
        Never reached.
        """
        raise AssertionError("close of an upload whose write never ended")

    def abort(self):
        """
        Count the abort.
        """
        self._shell.aborted += 1


class HungWriteServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    An upload whose storage write never ends does not take the session
    with it: its C{ABOR} is answered once the data timeout has passed.
    """

    def test_aborHung(self):
        """
        C{ABOR} of such an upload gets 426 and 226 (it got nothing: the
        abort of the upload file waited for the write in flight, and the
        session's replies, its C{QUIT} and its idle timeout waited for the
        abort), with one log line; C{NOOP} and C{QUIT} work after it.
        """
        shell = HungWriteShell()
        server = self.startServer(SharedShellRealm(shell),
                                  config=ServerConfig(dataTimeout=0.5))
        events = captureLogs(self)

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            ftp.voidcmd("TYPE I")
            connection = ftp.transfercmd("STOR g")
            connection.settimeout(5)
            connection.sendall(b"u" * 65536)
            self.assertTrue(shell.writing.wait(60))
            ftp.putcmd("ABOR")
            replies = [ftp.getline()[:3], ftp.getline()[:3]]
            connection.close()
            replies.append(ftp.sendcmd("NOOP")[:3])
            replies.append(ftp.sendcmd("QUIT")[:3])
            return replies

        def check(replies):
            self.assertEqual(replies, ["426", "226", "200", "221"])
            late = [event for event in events
                    if "did not end its aborted upload"
                    in event.get("log_format", "")]
            self.assertEqual(len(late), 1)
            # It names the upload, not an object's repr.
            line = formatEvent(late[0])
            self.assertIn("'STOR /g'", line)
            self.assertNotIn(" object at 0x", line)

        return self.inThread(client).addCallback(check)


@implementer(IReadFile)
class BrokenSenderFile:
    """
    An L{IReadFile} whose C{send} breaks as C{how} says.
    """

    size = 10

    def __init__(self, how):
        """
        @param how: C{"raise"} (raises at once), C{"fail"} (a failed
            Deferred) or C{"none"} (returns C{None}).
        """
        self._how = how

    def send(self, consumer):
        """
        Break.
        """
        if self._how == "raise":
            raise RuntimeError("send raised")
        if self._how == "fail":
            return fail(RuntimeError("send failed"))
        return None

    def close(self):
        """
        Nothing to release.
        """


class BrokenSenderServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    A producer/consumer download whose C{send} breaks gets 426 and one
    log line with the plugin's exception; the session goes on. (Nothing
    was logged: the operator saw only the client's 426.)
    """

    def download(self, how):
        """
        C{RETR} a L{BrokenSenderFile}.

        @param how: see L{BrokenSenderFile}.
        @return: a Deferred firing with the log's error events once the
            replies were checked.
        """
        shell = MemoryShell()
        self.successResultOf(writeFile(shell, ("f",), b"0123456789"))
        shell.openForReading = lambda path, offset=0: succeed(
            BrokenSenderFile(how))
        server = self.startServer(SharedShellRealm(shell))
        events = captureLogs(self)

        def client():
            ftp = ftplibLogin(self, server.port)
            try:
                ftp.retrbinary("RETR f", io.BytesIO().write)
            except ftplib.error_temp as error:
                reply = str(error)[:3]
            except OSError:
                # The data connection was reset: the reply follows.
                try:
                    ftp.getresp()
                except ftplib.error_temp as error:
                    reply = str(error)[:3]
            noop = ftp.sendcmd("NOOP")[:3]
            ftp.quit()
            return reply, noop

        def check(replies):
            self.assertEqual(replies, ("426", "200"))
            return errors(events)

        return self.inThread(client).addCallback(check)

    def assertOneLine(self, logged, said):
        """
        One line was logged, holding C{said}, and no traceback.

        @param logged: the error events logged.
        @param said: text the line holds.
        """
        self.assertEqual(len(logged), 1)
        self.assertNotIn("log_failure", logged[0])
        self.assertIn(said, logged[0]["why"])
        self.assertEqual(self.flushLoggedErrors(), [])

    def test_raises(self):
        """
        C{send} raising at once.
        """
        return self.download("raise").addCallback(
            self.assertOneLine, "RuntimeError: send raised (raised at ")

    def test_fails(self):
        """
        C{send} returning a failed Deferred.
        """
        return self.download("fail").addCallback(
            self.assertOneLine, "RuntimeError: send failed")

    def test_notDeferred(self):
        """
        C{send} returning C{None}: the line says so (it was no line at
        all, and would have been an C{AttributeError} deep in the
        server).
        """
        return self.download("none").addCallback(
            self.assertOneLine, "send gave None, not a Deferred")


@implementer(IRealm)
class BrokenAvatarRealm:
    """
    A realm whose answer for each user is C{answers[user]}.

    @ivar loggedOut: how many logouts were called.
    """

    loggedOut = 0

    def __init__(self):
        """
        The answers: a pair, C{None}, and an avatar that is no shell.
        """
        self.answers = {
            b"pair": (IFTPShell, MemoryShell()),
            b"none": None,
            b"object": (IFTPShell, object(), self.logout),
        }

    def logout(self):
        """
        Count the logout.
        """
        self.loggedOut += 1

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: the answer for C{avatarId}.
        """
        if isinstance(avatarId, str):
            avatarId = avatarId.encode()
        return self.answers[avatarId]


class BrokenAvatarServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    A realm giving something other than C{(interface, shell, logout)}, or
    an avatar that is no shell: the login gets 451 and the log one line
    saying what the realm gave. (The avatar that was no shell was logged
    in, and every command after it got 451 and an AttributeError's
    traceback; the others a TypeError's or ValueError's traceback from
    deep in the login.)
    """

    def test_brokenAvatars(self):
        """
        Each login is refused with 451, with one line naming the problem,
        and the logout of the avatar refused is called.
        """
        realm = BrokenAvatarRealm()
        users = {"pair": "pw", "none": "pw", "object": "pw"}
        server = self.startServer(realm, users=users, anonymous=False)
        events = captureLogs(self)

        def client():
            replies = []
            for user in sorted(users):
                ftp = ftplib.FTP()
                ftp.connect("127.0.0.1", server.port, timeout=10)
                self.addCleanup(ftp.close)
                ftp.sendcmd("USER " + user)
                try:
                    replies.append(ftp.sendcmd("PASS pw")[:3])
                except ftplib.error_temp as error:
                    replies.append(str(error)[:3])
                ftp.close()
            return replies

        def check(replies):
            self.assertEqual(replies, ["451", "451", "451"])
            lines = [event for event in events
                     if event.get("log_format", "").startswith(
                         "The realm {realm!r} gave")]
            self.assertEqual(
                sorted(event["problem"].split(" ")[0] for event in lines),
                ["(<InterfaceClass", "None,", "an"])
            self.assertEqual(realm.loggedOut, 1)
            self.assertEqual({event["realm"] for event in lines}, {realm})
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.inThread(client).addCallback(check)


class ClosingSenderFile(SenderFile):
    """
    A L{SenderFile} whose C{close} raises (C{"raise"}) or fails its
    Deferred (C{"fail"}).
    """

    def __init__(self, data, how):
        """
        @param data: the bytes.
        @param how: how C{close} breaks.
        """
        SenderFile.__init__(self, data)
        self._how = how

    def close(self):
        """
        Break.
        """
        if self._how == "raise":
            raise RuntimeError("close raised")
        return fail(RuntimeError("close failed"))


class BrokenCloseServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    A download whose file's C{close} breaks still gets 226 once every
    byte was sent, and the log one line.
    """

    def download(self, how):
        """
        C{RETR} a L{ClosingSenderFile}.

        @param how: see L{ClosingSenderFile}.
        @return: a Deferred firing once the reply, the bytes and the log
            were checked.
        """
        data = b"c" * 100000
        shell = MemoryShell()
        self.successResultOf(writeFile(shell, ("f",), data))
        shell.openForReading = lambda path, offset=0: succeed(
            ClosingSenderFile(data, how))
        server = self.startServer(SharedShellRealm(shell))
        events = captureLogs(self)

        def client():
            ftp = ftplibLogin(self, server.port)
            received = io.BytesIO()
            try:
                reply = ftp.retrbinary("RETR f", received.write)[:3]
            except ftplib.error_temp as error:
                reply = str(error)[:3]
            ftp.quit()
            return reply, received.getvalue()

        def check(result):
            self.assertEqual(result, ("226", data))
            lines = [event for event in errors(events)
                     if event.get("method") == "close"]
            self.assertEqual(len(lines), 1)
            self.assertIn("RuntimeError: close ", lines[0]["why"])
            self.assertNotIn("log_failure", lines[0])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.inThread(client).addCallback(check)

    def test_raises(self):
        """
        C{close} raising: it was C{451} after the whole file.
        """
        return self.download("raise")

    def test_fails(self):
        """
        C{close} failing its Deferred: it was an "Unhandled error in
        Deferred" when collected.
        """
        return self.download("fail")
