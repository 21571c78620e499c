"""
The control connection when the process runs short of resources: no free
passive port, no free descriptor (C{EMFILE}) for a passive listener, a data
connection (C{425}) or a file (C{451}); one warning, no traceback. Same setting as
L{tests.protocol.test_server}: a factory on a memory reactor, sessions on
C{StringTransport}.
"""

import errno
import socket

from twisted.cred import checkers, portal
from twisted.internet import defer, error
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, formatEvent
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.peerwarnings import PeerWarnings
from ftpkit.control.server import FTPFactory
from ftpkit.data import descriptors
from ftpkit.data.channel import DataChannel
from ftpkit.data.passive import PassiveListener
from ftpkit.data.passiveshares import PassiveShares
from ftpkit.data.refusals import REFUSED_LISTENER_LINES
from ftpkit.errors import CannotOpenDataConnection
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell
from tests.logevents import captureLogs
from tests.memorysessions import connect, makeFactory, replyCodes


class PassiveListenFailureTests(unittest.TestCase):
    """
    A PASV that finds no free port leaves nothing scheduled.
    """

    def test_noPortNoTimer(self):
        """
        When binding fails, L{DataChannel.listen} raises and the timer of
        the listener before is gone with it.
        """
        clock = MemoryReactorClock()
        channel = DataChannel(clock, "127.0.0.1", "127.0.0.1", 8.0)
        channel.listen()
        self.assertEqual(len(clock.getDelayedCalls()), 1)

        def full(*args, **kwargs):
            raise CannotOpenDataConnection("No free passive port")
        self.patch(PassiveListener, "listen", full)
        self.assertRaises(CannotOpenDataConnection, channel.listen)
        clock.advance(0)  # The old listener's descriptor number is freed.
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertFalse(channel.isSetUp)


class PassiveRangeFullTests(unittest.TestCase):
    """
    A C{--passive-ports} range with no free port is said in the log.
    """

    def test_logged(self):
        """
        Each C{425} for a full range is a warning naming the client and
        the range: it was said only to the client, so an operator whose
        range was too small for the load (or taken by other programs)
        could not tell from the log, as one can for a client over its
        share.
        """
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        logged = captureLogs(self)
        channel = DataChannel(MemoryReactorClock(), "127.0.0.1", "10.0.0.1",
                              8.0)
        self.assertRaises(CannotOpenDataConnection, channel.listen,
                          (port, port))
        warnings = [formatEvent(event) for event in logged
                    if event.get("log_level") == LogLevel.warn]
        self.assertEqual(warnings, [
            f"refused passive listener for 10.0.0.1: no free port in "
            f"--passive-ports {port}-{port}"])


    def test_loggedSparingly(self):
        """
        A session repeating C{PASV} or C{EPSV} while the range is full
        gets L{REFUSED_LISTENER_LINES} lines a minute, the next saying how
        many were left out: it got a line per command, so a client could
        grow the log without bound.
        """
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        clock = MemoryReactorClock()
        logged = captureLogs(self)
        channel = DataChannel(clock, "127.0.0.1", "10.0.0.1", 8.0)
        for _ in range(REFUSED_LISTENER_LINES + 40):
            self.assertRaises(CannotOpenDataConnection, channel.listen,
                              (port, port))
        # The next one comes as the minute ends, before its summary.
        clock.rightNow += 60
        self.assertRaises(CannotOpenDataConnection, channel.listen,
                          (port, port))
        warnings = [formatEvent(event) for event in logged
                    if event.get("log_level") == LogLevel.warn]
        self.assertEqual(len(warnings), REFUSED_LISTENER_LINES + 1)
        self.assertEqual(warnings[-1],
                         f"refused passive listener for 10.0.0.1: no free "
                         f"port in --passive-ports {port}-{port} (and 40 "
                         f"more not logged)")


class PassiveShareFullTests(unittest.TestCase):
    """
    A client over its share of passive listeners is said in the log,
    sparingly.
    """

    def test_loggedSparingly(self):
        """
        A session repeating C{PASV} or C{EPSV} while its address holds its
        share of listeners gets L{REFUSED_LISTENER_LINES} log lines a
        minute, the next saying how many were left out: it got a line per
        command, so a client could grow the log without bound.
        """
        clock = MemoryReactorClock()
        shares = PassiveShares(1)
        self.assertTrue(shares.take("10.0.0.1"))
        logged = captureLogs(self)
        channel = DataChannel(clock, "127.0.0.1", "10.0.0.1", 8.0,
                              shares=shares)
        for _ in range(REFUSED_LISTENER_LINES + 40):
            self.assertRaises(CannotOpenDataConnection, channel.listen)
        # The next one comes as the minute ends, before its summary.
        clock.rightNow += 60
        self.assertRaises(CannotOpenDataConnection, channel.listen)
        warnings = [formatEvent(event) for event in logged
                    if event.get("log_level") == LogLevel.warn]
        self.assertEqual(len(warnings), REFUSED_LISTENER_LINES + 1)
        self.assertEqual(warnings[0],
                         "refused passive listener for 10.0.0.1: it holds "
                         "1 already")
        self.assertEqual(warnings[-1],
                         "refused passive listener for 10.0.0.1: it holds "
                         "1 already (and 40 more not logged)")


    def test_boundedOverSessions(self):
        """
        The lines are the client address's, over all its sessions (the
        server's L{PeerWarnings}): twenty sessions of one address, each
        refused a listener, get L{REFUSED_LISTENER_LINES} lines a minute
        in all. Throttled for each session alone, a client opening
        sessions that each had one refused got a line for each (twenty
        here).
        """
        clock = MemoryReactorClock()
        shares = PassiveShares(1)
        self.assertTrue(shares.take("10.0.0.1"))
        warnings = PeerWarnings(clock)
        logged = captureLogs(self)
        for _ in range(20):
            channel = DataChannel(clock, "127.0.0.1", "10.0.0.1", 8.0,
                                  shares=shares, warnings=warnings)
            self.assertRaises(CannotOpenDataConnection, channel.listen)
        # The next one comes as the minute ends, before its summary.
        clock.rightNow += 60
        channel = DataChannel(clock, "127.0.0.1", "10.0.0.1", 8.0,
                              shares=shares, warnings=warnings)
        self.assertRaises(CannotOpenDataConnection, channel.listen)
        lines = [formatEvent(event) for event in logged
                 if event.get("log_level") == LogLevel.warn]
        self.assertEqual(len(lines), REFUSED_LISTENER_LINES + 1)
        self.assertEqual(lines[-1],
                         "refused passive listener for 10.0.0.1: it holds "
                         "1 already (and 10 more not logged)")


    def test_inThisWorker(self):
        """
        Under C{--workers}, where each worker counts the listeners of its
        own sessions against its part of the share, the line says the
        count is this worker's: it read as the address's count over all
        its sessions, which C{--max-passive-per-ip} promises to limit.
        """
        shares = PassiveShares(1, workers=2)
        self.assertTrue(shares.take("10.0.0.1"))
        logged = captureLogs(self)
        channel = DataChannel(MemoryReactorClock(), "127.0.0.1", "10.0.0.1",
                              8.0, shares=shares)
        self.assertRaises(CannotOpenDataConnection, channel.listen)
        self.assertEqual([formatEvent(event) for event in logged
                          if event.get("log_level") == LogLevel.warn],
                         ["refused passive listener for 10.0.0.1: it holds "
                          "1 already in this worker"])


class PassiveOutOfDescriptorsTests(unittest.TestCase):
    """
    A process out of descriptors refuses passive listeners cleanly.
    """

    def test_refused(self):
        """
        C{PASV} and C{EPSV} when no socket can be made (C{EMFILE}) get
        C{425} and a warning naming the client: they got C{451} and a
        critical traceback in the log per command.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()

        def exhausted(*args, **kwargs):
            raise OSError(errno.EMFILE, "Too many open files")
        self.patch(socket, "socket", exhausted)
        logged = captureLogs(self)
        protocol.dataReceived(b"PASV\r\nEPSV\r\n")
        self.assertEqual(
            transport.value(),
            b"425 Too many open files on the server; try again later\r\n"
            * 2)
        warnings = [formatEvent(event) for event in logged
                    if event.get("log_level") == LogLevel.warn]
        self.assertEqual(warnings, [
            "refused %s from 10.0.0.1: Too many open files on the server; "
            "try again later" % (verb,) for verb in ["PASV", "EPSV"]])


    def test_idleReleasedFirst(self):
        """
        When no socket can be made until the descriptors kept idle for
        reuse are closed (L{ftpkit.data.descriptors.releaseIdle}), they
        are, and C{PASV} gets its listener.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()),
                                      "127.0.0.1")
        self.addCleanup(protocol.connectionLost, None)
        protocol.dataChannel.localHost = "127.0.0.1"
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        kept = [2]
        self.patch(descriptors, "_idleKeepers",
                   [lambda: kept.pop() if kept else 0])
        real = socket.socket

        def exhaustedUntilReleased(*args, **kwargs):
            if kept:
                raise OSError(errno.EMFILE, "Too many open files")
            return real(*args, **kwargs)
        self.patch(socket, "socket", exhaustedUntilReleased)
        protocol.dataReceived(b"PASV\r\n")
        self.assertEqual(replyCodes(transport), ["227"])
        self.assertEqual(kept, [])


class ExhaustedShell(MemoryShell):
    """
    A L{MemoryShell} in a process out of descriptors: opening a file or
    listing a directory fails with C{EMFILE}, as a plugin's shell's
    C{open} would.
    """

    def _exhausted(self, *args, **kwargs):
        return defer.fail(OSError(errno.EMFILE, "Too many open files"))

    openForReading = openForWriting = _exhausted
    list = listNames = openListing = _exhausted


class StatExhaustedShell(ExhaustedShell):
    """
    An L{ExhaustedShell} whose look-ups fail too.
    """

    stat = ExhaustedShell._exhausted


@implementer(portal.IRealm)
class ExhaustedRealm:
    """
    Gives every user an L{ExhaustedShell}, or a shell of the class given.
    """

    def __init__(self, shellClass=ExhaustedShell):
        self._shellClass = shellClass

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, self._shellClass({"/f.txt": b"x"}), lambda: None


class TransferOutOfDescriptorsTests(unittest.TestCase):
    """
    A process out of descriptors refuses transfers and listings cleanly.
    """

    def loggedIn(self, realm):
        """
        @return: C{(protocol, transport)} of a session of C{alice} on
            C{realm}, its transport cleared.
        """
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        factory = FTPFactory(portal.Portal(realm, [passwords]),
                             ServerConfig(), MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        return protocol, transport

    def test_refused(self):
        """
        C{RETR}, C{STOR}, C{LIST} and C{NLST} whose file or directory
        cannot be opened for want of descriptors (C{EMFILE}) get C{451}
        (a local error: no data connection failed; they got C{425}), and
        one warning each naming the client and the cause: a failed file
        transfer's is its C{transfer} event, a listing's its C{refusal}
        event, each saying the cause (C{reason}).
        """
        protocol, transport = self.loggedIn(ExhaustedRealm())
        logged = captureLogs(self)
        protocol.dataReceived(
            b"RETR f.txt\r\nSTOR g.txt\r\nLIST\r\nNLST\r\n")
        self.assertEqual(
            transport.value(),
            b"451 Too many open files on the server; try again later\r\n"
            * 4)
        warnings = [formatEvent(event) for event in logged
                    if event.get("log_level") >= LogLevel.warn]
        why = "Too many open files on the server; try again later"
        self.assertEqual(warnings, [
            f"RETR from 10.0.0.1 user 'alice' path '/f.txt': 451, 0 bytes "
            f"in 0.000 s ({why})",
            f"STOR from 10.0.0.1 user 'alice' path '/g.txt': 451, 0 bytes "
            f"in 0.000 s ({why})",
            f"refused LIST from 10.0.0.1 user 'alice' path '/': 451 ({why})",
            f"refused NLST from 10.0.0.1 user 'alice' path '/': 451 ({why})"])
        self.assertEqual([event["reason"] for event in logged
                          if event.get("ftpkit_event") == "transfer"],
                         [why] * 2)

    def test_lookupsRefused(self):
        """
        C{SIZE}, C{MDTM}, C{MLST} and C{RETR} whose look-up at the file
        finds no descriptor (a shell whose C{stat} fails with C{EMFILE},
        as the disk shell's walk of a path's directories can) get C{451}
        and one warning each saying why: C{SIZE} and C{MDTM} got C{425},
        a data connection's code, though none was asked for. C{SIZE} in
        C{TYPE A} is refused before any lookup.
        """
        protocol, transport = self.loggedIn(
            ExhaustedRealm(StatExhaustedShell))
        logged = captureLogs(self)
        protocol.dataReceived(b"TYPE I\r\nSIZE f.txt\r\nMDTM f.txt\r\n"
                              b"MLST f.txt\r\nTYPE A\r\nSIZE f.txt\r\n")
        why = "Too many open files on the server; try again later"
        self.assertEqual(transport.value().split(b"\r\n")[1:-1], [
            b"451 " + why.encode()] * 3 + [
            b"200 Type set to A",
            b"550 SIZE not allowed in ASCII mode; use TYPE I"])
        warnings = [formatEvent(event) for event in logged
                    if event.get("log_level") >= LogLevel.warn]
        self.assertEqual(warnings, [
            f"refused {verb} from 10.0.0.1 user 'alice' path '/f.txt': 451 "
            f"({why})" for verb in ("SIZE", "MDTM", "MLST")])

    def test_activeConnection(self):
        """
        A C{RETR} after C{PORT} whose connection cannot be made for want
        of a socket (Twisted's C{ConnectBindError} with C{EMFILE}) gets
        the same C{425} and one warning, its C{transfer} event saying
        why: it got C{425 Can't open data connection}, which did not say
        why, and then two warnings.
        """
        clock = MemoryReactorClock()
        protocol, transport = connect(makeFactory(clock))
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n"
                              b"PORT 10,0,0,1,195,80\r\n")
        transport.clear()
        logged = captureLogs(self)
        protocol.dataReceived(b"RETR top.bin\r\n")
        factory, connector = clock.tcpClients[-1][2], clock.connectors[-1]
        factory.clientConnectionFailed(connector, Failure(
            error.ConnectBindError(errno.EMFILE, "Too many open files")))
        self.assertEqual(
            transport.value(),
            b"425 Too many open files on the server; try again later\r\n")
        warnings = [formatEvent(event) for event in logged
                    if event.get("log_level") >= LogLevel.warn]
        self.assertEqual(warnings, [
            "RETR from 10.0.0.1 user 'alice' path '/top.bin': 425, 0 bytes "
            "in 0.000 s (Too many open files on the server; try again "
            "later)"])
