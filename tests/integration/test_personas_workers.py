"""
FileZilla and WinSCP (as replayed in L{tests.personas}) against
C{python -m ftpkit --workers 2} as deployed for them: C{--tls-cert},
C{--tls-allow-1.3}, C{--tls-require-session-reuse}, an IPv4 listener for
explicit FTPS, an IPv6 one and an implicit (C{ssl:}) one. Each test holds
a session open so that the next lands in the other worker, and every
data connection must resume its own control connection's TLS session
there.
"""

import contextlib
import hashlib
import os
import socket
import ssl

from twisted.trial import unittest

from tests.ipv6 import hasIPv6
from tests.personaparsers import (
    filezillaSize,
    mlsdEntries,
    winscpFeatures,
    winscpHash,
    winscpMlst,
    winscpPwd,
)
from tests.personas import PersonaTestsMixin, Wire
from tests.serverprocess import ServerProcess, freePort
from tests.tlssupport import clientContext

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""


def freeIPv6Port():
    """
    @return: a TCP port on C{::1} that was free a moment ago.
    """
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        return s.getsockname()[1]


class WorkersPersonaTests(PersonaTestsMixin, unittest.TestCase):
    """
    The clients' sessions through a two-worker server.
    """

    timeout = 120

    def setUp(self):
        PersonaTestsMixin.setUp(self)
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both, "--tls-allow-1.3",
            "--tls-require-session-reuse"], listen=self.listeners)
        self.server.waitForLog(READY, 2)

    def listeners(self, port):
        """
        The server's C{--listen} options, its other ports picked again
        each time it starts (a start on a port taken meanwhile is made
        again, on new ports: L{ServerProcess}).

        @param port: the clear listener's port.
        @return: the options: that port on C{127.0.0.1}, implicit FTPS on
            L{implicitPort}, and C{::1} on L{ipv6Port} where there is IPv6.
        """
        self.implicitPort = freePort()
        listens = ["--listen", "tcp:%d:interface=127.0.0.1" % port,
                   "--listen", "ssl:%d:interface=127.0.0.1" % self.implicitPort]
        if hasIPv6():
            self.ipv6Port = freeIPv6Port()
            listens += ["--listen", "tcp6:%d:interface=\\:\\:1"
                        % self.ipv6Port]
        return listens

    @contextlib.contextmanager
    def session(self, security="explicit", host="127.0.0.1", port=None,
                context=None):
        """
        A logged-in control connection (C{PBSZ 0}, C{PROT P}), closed on
        leaving.

        @return: a context manager giving the L{Wire}.
        """
        wire = Wire(port or self.server.port, security, context, host)
        try:
            wire.login(protect=True)
            yield wire
        finally:
            wire.close()

    def fileZilla(self, wire, verb):
        """
        FileZilla 3's browsing and transfers on one connection: C{MLSD},
        an upload with C{MFMT}, C{SIZE}, a resumed download (C{REST n})
        and the next one (C{REST 0}), the data connection and its
        handshake before each command.

        @return: C{(names, size, tail, whole)}.
        """
        wire.ok("TYPE I", 200)
        listing, _ = self.transfer(wire, "MLSD", protect=True, verb=verb)
        _, stored = self.transfer(wire, "STOR up.bin", b"u" * 70000,
                                  protect=True, verb=verb)
        self.assertEqual(stored[:3], "226")
        wire.ok("MFMT 20200102030405 up.bin", 213)
        size = filezillaSize(wire.ok("SIZE up.bin", 213))
        wire.ok("REST 1000000", 350)
        tail, _ = self.transfer(wire, "RETR big.bin", protect=True,
                                verb=verb)
        wire.ok("REST 0", 350)
        whole, _ = self.transfer(wire, "RETR big.bin", protect=True,
                                 verb=verb)
        return (sorted(mlsdEntries(listing))[:3], size,
                tail == self.payload[1000000:], whole == self.payload)

    def test_fileZillaIPv4(self):
        """
        FileZilla over IPv4 sends C{PASV} (C{EPSV} only over IPv6 or a
        proxy), under TLS 1.3 as GnuTLS negotiates it, on two connections
        served by the two workers, the first one's transfers after the
        second's.
        """
        with self.session() as held, self.session() as other:
            self.assertEqual(other.sock.version(), "TLSv1.3")
            second = self.fileZilla(other, "PASV")
            first = self.fileZilla(held, "PASV")
        expected = ([".", "big.bin", "docs"], 70000, True, True)
        self.assertEqual((first, second), (expected, expected))

    def test_fileZillaIPv6(self):
        """
        Over IPv6: C{PASV} gets C{522} (FileZilla sends C{EPSV} there
        whatever C{FEAT} says; WinSCP picks by address family), C{EPSV}
        transfers, C{EPRT} under C{PROT P}.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        with self.session() as held, self.session(
                host="::1", port=self.ipv6Port) as wire:
            refused = wire.cmd("PASV")[0]
            result = self.fileZilla(wire, "EPSV")
            active = self.activeDownload(wire, "old.txt", "::1")[0]
            held.ok("NOOP", 200)
        self.assertEqual(
            (refused, result, active),
            (522, ([".", "big.bin", "docs"], 70000, True, True), b"old"))

    def test_winSCPImplicit(self):
        """
        WinSCP over implicit FTPS (TLS 1.3 in one session and 1.2 in the
        other, resuming by ticket and by session ID), the command before
        the data connection: C{PWD}, C{MLSD}, C{MLST} of one file, an
        upload with C{MFMT}, C{SITE CHMOD}, checksums (C{OPTS HASH},
        C{HASH}, C{XSHA1}), free space (C{AVBL}) and its keep-alives.
        """
        def winSCP(wire):
            commands, algorithms = winscpFeatures(wire.cmd("FEAT")[1])
            self.assertTrue({"MLST", "MFMT", "HASH", "XSHA1", "AVBL"}
                            <= commands)
            pwd = winscpPwd(wire.ok("PWD", 257))
            wire.ok("TYPE A", 200)
            listing, _ = self.transfer(wire, "MLSD /docs", protect=True,
                                       commandFirst=True)
            wire.ok("TYPE I", 200)
            _, stored = self.transfer(wire, "STOR /docs/w.bin", b"w" * 5000,
                                      protect=True, commandFirst=True)
            wire.ok("MFMT 20210304050607 /docs/w.bin", 213)
            wire.ok("SITE CHMOD 600 /docs/w.bin", 200)
            name, facts = winscpMlst(wire.cmd("MLST /docs/w.bin")[1][1])
            wire.ok("OPTS HASH SHA-1", 200)
            digest = winscpHash(wire.ok('HASH "/docs/w.bin"', 213))
            xsha1 = wire.ok('XSHA1 "/docs/w.bin"', 250).split(" ")[-1]
            space = int(wire.ok("AVBL /docs", 213)[4:])
            for keepAlive in ("PWD", "REST 0", "TYPE A", "TYPE I"):
                wire.cmd(keepAlive)
            return (pwd, sorted({".hidden", "a b.txt"}
                                & set(mlsdEntries(listing))), stored[:3],
                    name, facts["size"], facts["unix.mode"],
                    facts["modify"], digest, xsha1.lower(), space > 0)

        older = clientContext(ssl.TLSVersion.TLSv1_2)
        with self.session("implicit", port=self.implicitPort) as held, \
                self.session("implicit", port=self.implicitPort,
                             context=older) as other:
            versions = (held.sock.version(), other.sock.version())
            results = [winSCP(other), winSCP(held)]
        digest = hashlib.sha1(b"w" * 5000).hexdigest()
        expected = ("/", [".hidden", "a b.txt"], "226", "w.bin", "5000",
                    "0600", "20210304050607", digest, digest, True)
        self.assertEqual((versions, results),
                         (("TLSv1.3", "TLSv1.2"), [expected, expected]))
        self.assertEqual(os.stat(os.path.join(
            self.root, "docs", "w.bin")).st_mtime, 1614834367)
