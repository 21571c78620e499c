"""
A download whose client reads the last byte and closes the data connection
at once, before the storage's send is over: a plugin shell whose send is
Twisted's C{FileSender} and is over only after the connection took the
last byte (L{tests.lateends}). Under TLS the client ends its stream with
its close_notify (waiting for the server's or not), and the download is
complete: C{226}, not the C{426} it got. The in-tree shells finish in the
write event of the last byte and never met this.
"""

import ftplib
import ssl

from twisted.internet import defer
from twisted.logger import formatEvent
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.control.tls import makeContextFactory
from ftpkit.data.movers.consumers import encodeASCII
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.testing import writeFile
from tests.ftpclient import ftplibLogin
from tests.lateends import LateEndShell, StoppedEndShell
from tests.logevents import captureLogs
from tests.tlssupport import Certificates, clientContext

PAYLOAD = bytes(range(256)) * 800

ASCII_PAYLOAD = encodeASCII(PAYLOAD)
"""L{PAYLOAD} as C{TYPE A} sends it: each LF (not after a CR) a CRLF,
800 bytes more than the file."""


def readWhole(data, size):
    """
    Read C{size} bytes from a data connection.

    @param data: the connected data socket.
    @param size: the bytes the download sends.
    @return: the bytes read (fewer if the connection ended first).
    """
    got = b""
    while len(got) < size:
        chunk = data.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def closeAtLastByte(data, ending):
    """
    End a data connection whose every byte was read.

    @param data: the data socket (an C{ssl.SSLSocket} under TLS).
    @param ending: C{"unwrap"}: send the close_notify and wait for the
        server's; C{"notify"}: send it and close at once; C{"close"}: close
        the TCP connection alone (no close_notify).
    """
    if ending == "unwrap":
        data.unwrap()
    elif ending == "notify":
        data.setblocking(False)
        try:
            data.unwrap()
        except ssl.SSLWantReadError:
            pass
    data.close()


class ClosedAtLastByteTests(Certificates, LoopbackServerMixin,
                            unittest.TestCase):
    """
    C{RETR} from a shell whose send ends late, its client closing the data
    connection once it has every byte; under TLS 1.3.

    @cvar maximumVersion: the client's highest TLS version (C{None}: TLS
        1.3).
    """

    timeout = 60
    maximumVersion = None

    def setUp(self):
        self.makeCertificates()

    def download(self, shellType, ending="unwrap", maximumVersion=None,
                 tls=True, abor=False, binary=True):
        """
        Serve C{shellType}'s shell holding L{PAYLOAD} as C{f.bin}, download
        it and end the data connection as C{ending} says
        (L{closeAtLastByte}).

        @param maximumVersion: the client's highest TLS version (C{None}:
            TLS 1.3).
        @param tls: under C{PROT P} (else in clear).
        @param abor: send the close_notify without waiting, then C{ABOR},
            and read its two replies (C{ending} unused).
        @param binary: in C{TYPE I} (else C{TYPE A}: L{ASCII_PAYLOAD} is
            read).
        @return: a Deferred firing with what was read and the code of the
            transfer's reply (with C{abor}, the two codes).
        """
        shell = shellType()
        self.successResultOf(writeFile(shell, ("f.bin",), PAYLOAD))
        server = self.startServer(SharedShellRealm(shell), ServerConfig(
            loginFailureDelay=0,
            tlsContextFactory=makeContextFactory(self.both)))

        def client():
            ftp = ftplibLogin(
                self, server.port, protect=tls, binary=binary,
                client=ftplib.FTP_TLS(context=clientContext(maximumVersion))
                if tls else None)
            if not binary:
                ftp.voidcmd("TYPE A")
            data = ftp.transfercmd("RETR f.bin")
            got = readWhole(data, len(PAYLOAD if binary else ASCII_PAYLOAD))
            if abor:
                # Its close_notify sent, not waiting for the server's: ABOR
                # at once, while the server may not have ended the data
                # connection yet.
                data.setblocking(False)
                try:
                    data.unwrap()
                except ssl.SSLWantReadError:
                    pass
                ftp.putcmd("ABOR")
                code = ftp.getline()[:3] + " " + ftp.getline()[:3]
                data.close()
            else:
                closeAtLastByte(data, ending if tls else "close")
                code = ftp.getline()[:3]
            ftp.quit()
            return got, code

        return self.inThread(client)

    @defer.inlineCallbacks
    def assertComplete(self, shellType, ending, tls=True, binary=True):
        """
        The client got every byte and C{226}, and no line blames the
        storage's send: the connection stopped it.
        """
        events = captureLogs(self)
        got, code = yield self.download(shellType, ending,
                                        self.maximumVersion, tls,
                                        binary=binary)
        sent = PAYLOAD if binary else ASCII_PAYLOAD
        self.assertEqual((len(got), got == sent, code),
                         (len(sent), True, "226"))
        self.assertEqual([text for text in map(formatEvent, events)
                          if "failed" in text], [])

    def test_stoppedUnwrap(self):
        """
        The send failing when the connection stopped it, the client
        waiting for the server's close_notify: C{226}.
        """
        return self.assertComplete(StoppedEndShell, "unwrap")

    def test_stoppedNotify(self):
        """
        The client closing right after its close_notify: C{226}.
        """
        return self.assertComplete(StoppedEndShell, "notify")

    def test_late(self):
        """
        The send succeeding a turn after the connection ended: C{226}.
        """
        return self.assertComplete(LateEndShell, "notify")

    def test_clear(self):
        """
        In clear, the client closing (a FIN) once it has every byte:
        C{226}.
        """
        return self.assertComplete(StoppedEndShell, "close", tls=False)

    def test_asciiClear(self):
        """
        In C{TYPE A}, in clear, the client closing once it has every byte
        of the converted file: C{226} (it got C{426}: the bytes sent were
        compared with the file's size, which the conversion changes).
        """
        return self.assertComplete(StoppedEndShell, "close", tls=False,
                                   binary=False)

    def test_asciiNotify(self):
        """
        In C{TYPE A} under TLS, the client closing right after its
        close_notify: C{226}.
        """
        return self.assertComplete(StoppedEndShell, "notify", binary=False)

    @defer.inlineCallbacks
    def test_noCloseNotify(self):
        """
        Under TLS a client that closes without its close_notify may have
        been cut (a truncation): C{426}, though every byte came.
        """
        got, code = yield self.download(StoppedEndShell, "close",
                                        self.maximumVersion)
        self.assertEqual((len(got), code), (len(PAYLOAD), "426"))

    @defer.inlineCallbacks
    def test_aborAfterNotify(self):
        """
        C{ABOR} at once after the client's close_notify: the transfer
        completed whichever the server saw first, C{ABOR} or the data
        connection's end; C{ABOR} itself gets C{226}, or C{225} once the
        transfer had ended. (C{ABOR} first found the transfer completed,
        and the download then failed on its count of bytes sent, never
        set: C{451}, and a traceback in the log.)
        """
        got, codes = yield self.download(StoppedEndShell, None,
                                         self.maximumVersion, abor=True)
        self.assertEqual(len(got), len(PAYLOAD))
        self.assertIn(codes, ("226 226", "226 225"))


class ClosedAtLastByteTLS12Tests(ClosedAtLastByteTests):
    """
    L{ClosedAtLastByteTests} under TLS 1.2.
    """

    maximumVersion = ssl.TLSVersion.TLSv1_2
