"""
The twenty-ninth attack sweep, over real loopback sockets.

A storage plugin whose upload file never stores what it received (its
C{close} never fires) held the upload's reply for ever: the transfer
was over, so its C{ABOR} waited its turn behind the upload, and so did
every command after it (C{QUIT} too), until the idle timeout closed the
session. C{ABOR} now ends that wait: the upload gets C{426}, the
C{ABOR} C{226}, and the session goes on (L{HungStoreTests}).

A client that knows a password, or any client where anonymous logins
are open, logged in and out on one connection as fast as it could send
C{USER}, C{PASS} and C{REIN}: 3,000 logins in 4.6 seconds (647 a second;
369 a second one connection after another), two log lines each (567 KB),
and no firewall limit on new connections saw them (C{docs/logging.rst}
has the firewall bound the logins a client can log). A connection now
logs in at most ten times: C{REIN} after the tenth is C{421}, and the
connection is closed (L{ReinLoginFloodTests}).

The lines saying how a storage plugin failed wrote the path a client
chose as it was, where the log's event lines quote it with its control
characters escaped: a client naming a file C{ESC[2J...} (a terminal's
escape sequences) had them run on the terminal of an operator reading
the log, whenever the plugin's exception text held the path, and in the
line of a download whose C{send} broke. Those lines escape what is not
printable now (L{LogInjectionTests}). And those lines were one for each
command: a plugin letting C{FileNotFoundError} out for a missing file
had a line logged for every C{SIZE} a client sent (50 for 50); a session
gets ten a minute for each method now (L{ComplaintFloodTests}).

Tried and held (C{python -m ftpkit}, one process and C{--workers 2},
scripts in the sweep's notes):
    - refused logins (C{--max-sessions-per-user 1}): 330 from ten IPv4
      loopback addresses and C{::1} in 0.1 s logged 110 lines, and 11
      counting the rest a minute later; under C{--workers 2}, 135 lines
      and 11 counting the other 195;
    - a C{unix:} listener, root and uid 65534: C{--max-connections-per-ip
      3} counted for each user (the fourth of each C{421}), the log naming
      C{unix-uid-0} and C{unix-uid-65534}; C{PASV}, C{EPSV} C{425},
      C{PORT} C{501}, C{EPRT |2|} C{522};
    - C{RETR} of an 8 MiB file grown by 4 MiB (C{APPE}) while sent: 8 MiB
      announced and sent, C{226}, on the disk realm, C{--realm memory} and
      C{fsspec:file://}, in clear and under C{PROT P}, C{TYPE I} and
      C{TYPE A};
    - names of 201, 239 and 255 bytes (and 85 CJK characters) cut, then
      resumed from C{SIZE} on another connection: whole, hidden names not
      listed, on the disk realm (one process and C{--workers 2}),
      C{--realm memory} and C{fsspec:file://} under C{--workers 2}; the
      hidden names given by a client: C{STOR} C{553}, C{SIZE}, C{RETR},
      C{DELE}, C{RNFR}, C{MLST}, C{CWD}, C{MKD}, C{MFMT}, C{HASH} C{550},
      C{RNTO} C{553}; no listing, C{STAT -R} or wildcard shows one;
    - escape sequences, U+2028, NEL, VT, FF, U+202E and C1 controls in
      C{USER}, C{HOST} and paths: none raw in the text or JSON log, nor in
      the transfer log;
    - a key every local user may read: one warning (C{--tls-cert}, an
      C{ssl:} listener's C{privateKey}, C{--workers 2}); mode 0640: none;
    - 40 connections from one address: 32 greeted, 8 C{421}; a 200 KB
      line: C{500} and closed; 870,000 pipelined C{NOOP} never read: the
      server's memory flat, another client's login 2 ms; 200 C{PASV}: one
      listener at a time; 30 connections sending a line a byte a second;
      C{AUTH TLS} then bytes that are not TLS: an alert; no traceback;
    - a C{PROT P} upload ended by a FIN without C{close_notify}, explicit
      and implicit FTPS, one process and C{--workers 2}: C{426}, the file
      as it was; under C{--tls-required} before C{AUTH}: C{USER} C{530},
      C{PROT} and C{PBSZ} C{503}, C{CCC} C{530}.

Found, not fixed (C{docs/security.rst} says why): C{PORT} to another
listener of the server, or to a passive port another session of the same
address waits on, is accepted (vsftpd's and ProFTPD's rules; that client
can connect there itself); 1,200 passwords guessed against one user from
200 loopback addresses, each logged, nothing holding them per user name
(a hold per name is a lockout anyone could cause). A cut upload of a new
name could not be removed by its user (C{DELE} C{550}, C{SIZE} the bytes
kept, on the disk realm and C{--realm memory}, where those bytes counted
in the budget: C{memory:1M}, five cut uploads of 200 KB, then C{552} for
everyone, for the 24 hours a cut upload is kept); fixed in session 30
(C{tests/integration/test_keptdele.py}): C{DELE} removes it on every
realm, and C{--realm memory} drops kept cut uploads before refusing.
"""

import ftplib
import io
import threading

from twisted.internet.defer import Deferred, succeed
from twisted.logger import formatEvent
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.interfaces import IRandomWriteFile
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.contract import COMPLAINTS_NOT_LOGGED
from ftpkit.shells.memory import MemoryShell
from tests.ftpclient import ftplibLogin
from tests.integration.test_plugin21 import BrokenSenderFile, logged


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
            self.assertTrue(shell.storing.wait(5))
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
        events = logged(self)

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
        events = logged(self)

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
        events = logged(self)

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
