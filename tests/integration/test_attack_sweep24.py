"""
The twenty-fourth attack sweep, over real loopback sockets.

C{REIN} on a control connection under TLS answered C{220}, logged the
user out and kept TLS on: neither what RFC 4217 (section 11) asks, which
is to end TLS on the control and data connections (so that the next
C{USER} and C{PASS} go in clear: the downgrade C{CCC} is off by default
for), nor anything a client could tell from the reply; a client
following the RFC then sent its next command in clear into the TLS
session, and was cut off. It now gets C{502} and nothing changes: the
user stays logged in, TLS and the protection level stay
(L{ftpkit.control.handlers.security.SecurityCommands.refuseReinitialize}),
as vsftpd and ProFTPD answer every C{REIN}. After C{CCC} the control
connection is in clear, and C{REIN} works as before, keeping C{PROT P}.

A client over its share of passive listeners (C{--max-passive-per-ip},
or half of C{--passive-ports}) was not refused silently (each C{425} had
its warning line, in one process and under C{--workers 2}, text and
JSON), but its C{425}s were logged ten a minute for each session:
opening sessions that each had one refused, it had a line logged for
each (25 sessions, 25 lines), as C{PORT} bounces had before
they went through the server's one throttle of what clients cause at
will (L{ftpkit.control.peerwarnings}). Its refusals, and those for a
range with no free port, now go through it too: 10 lines a minute of
each kind for each client address, over all its sessions
(L{ftpkit.data.refusals.RefusedListeners}).

Tried and held (C{python -m ftpkit}, the disk realm, anonymous and a
user with every right, explicit TLS, C{--tls-required
--tls-anonymous-exempt --tls-allow-ccc}, C{--workers 2}):
    - anonymous, in clear and under TLS: C{MKD}, C{RMD /}, C{DELE /},
      C{SITE CHMOD}, C{MFMT}, C{APPE}, C{STOU}, C{RNFR /}: C{550};
      C{ALLO}, C{REST} negative or of 20 digits and more: C{501};
      C{SIZE}/C{MDTM} of C{../../etc/passwd}: C{550}; C{CWD /../..}:
      C{/}; C{PORT}/C{EPRT} to another address, an IPv4-mapped one, a
      port below 1024: C{501}/C{522}; C{PROT P} before C{PBSZ},
      C{PBSZ}/C{PROT} in clear: C{503}; C{CCC}: C{534};
    - the user with every right: C{RMD}, C{DELE}, C{RNFR}, C{MKD},
      C{SITE CHMOD}, C{MFMT}, C{SITE UTIME} of C{/}, C{.} and C{..}:
      C{550}; through a link to C{/} (made by a local user): C{MKD},
      C{APPE}, C{STOU}, C{SITE CHMOD}, C{MFMT}, C{RNFR}: C{550}, nothing
      made outside;
    - C{IAC IP} inside a verb: C{200}; C{NOOP\rNOOP}, NUL: C{500}; 500
      C{NOOP}s in one packet: 500 replies; a line a byte at a time:
      C{200}; a 100 KiB line: C{500} and closed; an endless line a byte
      a second, before login and after C{USER}: closed at the idle
      timeout (20 s), not kept open by the bytes;
    - 200 pipelined C{EPSV}, C{LIST -R}, C{ABOR}: 0.1 s, descriptors back,
      another session's C{NOOP} 0.1 ms; C{LIST -R} of a tree of 6,560
      entries with links to C{..} and C{/}: links listed, not followed,
      another session's C{NOOP} within 7 ms meanwhile;
    - a random walk of 200 sessions over C{USER}, C{PASS}, C{REIN},
      C{AUTH TLS}, C{PBSZ}, C{PROT}, C{CCC}, C{HOST}, C{SSCN}, C{CPSV},
      C{EPSV}, C{PASV}, C{LIST}: no C{451}, no traceback;
    - C{--max-connections-per-ip 3} under C{--workers 2}: the fourth
      connection C{421}.
"""

import socket

from twisted.trial import unittest

from tests.integration.test_attack_sweep14 import TLSClient
from tests.tlssupport import FTPSTestsMixin


class ImplicitClient(TLSClient):
    """
    L{TLSClient} of an implicit FTPS listener: TLS from the first byte.
    """

    def __init__(self, port, timeout=20):
        """
        @param port: the listener's port on C{127.0.0.1}.
        @param timeout: seconds a read may wait.
        """
        self.sock = self.context.wrap_socket(
            socket.create_connection(("127.0.0.1", port), timeout=timeout))
        self.buffer = b""
        self.greeting = self.reply()


class ReinitializeUnderTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{REIN} sent on a control connection under TLS.
    """

    def afterLines(self, client, lines):
        """
        Send C{lines}, then list the root over a C{PROT P} data
        connection resuming the control connection's TLS session.

        @param client: a L{TLSClient} whose control connection is under
            TLS.
        @param lines: command lines, C{REIN} among them.
        @return: a Deferred firing with the replies' first four bytes,
            then the listing's C{(first reply, final reply)}.
        """
        def session():
            try:
                replies = [client.command(line)[:4] for line in lines]
                replies.append(client.listing(client.sock.session))
                return replies
            finally:
                client.close()

        return self.inThread(session)

    async def test_explicit(self):
        """
        After C{AUTH TLS} and a login, C{REIN} gets C{502}: alice is
        still logged in (C{PWD} C{257}), the control connection still
        under TLS and C{PROT P} still in force (the listing's TLS data
        connection is served). It was C{220}, then C{530} for C{PWD}.
        """
        server = self.serve()
        client = await self.inThread(TLSClient, server.port)
        await self.inThread(client.startTLS)
        replies = await self.afterLines(client, [
            "USER alice", "PASS secret", "PBSZ 0", "PROT P", "REIN", "PWD"])
        self.assertEqual(replies, [b"331 ", b"230 ", b"200 ", b"200 ",
                                   b"502 ", b"257 ", (b"150 ", b"226 ")])

    async def test_beforeLogin(self):
        """
        Before a login too: the pending C{USER} stays, and its C{PASS}
        logs in. C{HOST} after it says to connect again, not to send
        C{REIN}.
        """
        server = self.serve()

        def session():
            client = TLSClient(server.port)
            try:
                client.startTLS()
                return [client.command(line) for line in (
                    "USER alice", "REIN", "HOST localhost", "PASS secret")]
            finally:
                client.close()

        replies = await self.inThread(session)
        self.assertEqual([reply[:4] for reply in replies],
                         [b"331 ", b"502 ", b"503 ", b"230 "])
        self.assertIn(b"connect again", replies[2])

    async def test_implicit(self):
        """
        On an implicit FTPS listener, C{REIN} gets C{502} as well.
        """
        server = self.serveImplicit()
        client = await self.inThread(ImplicitClient, server.port)
        replies = await self.afterLines(client, [
            "USER alice", "PASS secret", "REIN", "PWD"])
        self.assertEqual(replies, [b"331 ", b"230 ", b"502 ", b"257 ",
                                   (b"150 ", b"226 ")])

    async def test_afterCCC(self):
        """
        After C{CCC} the control connection is in clear: C{REIN} logs
        alice out (C{220}, then C{PWD} C{530}), and keeps C{PROT P},
        which cannot be lowered over the clear channel: the listing after
        the next login is still under TLS.
        """
        server = self.serve(tlsAllowCCC=True)

        def session():
            client = TLSClient(server.port)
            try:
                client.startTLS()
                replies = [client.command(line)[:4] for line in (
                    "USER alice", "PASS secret", "PBSZ 0", "PROT P")]
                resumed = client.sock.session
                replies.append(client.clearTLS()[:4])
                replies += [client.command(line)[:4] for line in (
                    "REIN", "PWD", "USER alice", "PASS secret")]
                replies.append(client.listing(resumed))
                return replies
            finally:
                client.close()

        replies = await self.inThread(session)
        self.assertEqual(replies, [
            b"331 ", b"230 ", b"200 ", b"200 ", b"200 ", b"220 ", b"530 ",
            b"331 ", b"230 ", (b"150 ", b"226 ")])
