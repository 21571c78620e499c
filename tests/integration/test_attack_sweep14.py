"""
The fourteenth attack sweep, protocol and session state, over real
loopback sockets.

A C{HOST} sent before C{AUTH TLS} (in clear, where anyone on the path
may have sent or changed it) was kept for the login under TLS, whatever
host the client then named in its handshake (SNI): C{HOST} after
C{AUTH TLS} naming another host than the SNI gets C{504}, but sent
before, it was never compared. A client that sent no C{HOST} at all,
its C{AUTH TLS}, SNI C{ftp.example.com} and password went to the realm
of C{other.example} that a man in the middle had injected, its
certificate verified (ftpkit has one certificate for every host): it
uploaded to that host's tree and downloaded its files. The login under
TLS is now refused (C{530}) while the host chosen in clear is not the
one the handshake named, and that choice is forgotten.

After C{CCC}, a new C{AUTH TLS} kept the security state of the TLS
session it ended (RFC 2228: an accepted C{AUTH} removes any state of the
security commands before it): its C{PBSZ}, its C{PROT}, and the TLS
context data connections were secured and checked with. So under
C{--tls-require-session-reuse} a client resuming its control
connection's session on a data connection, as it must, got C{426}
(its session does not resume the control connection's), and one
resuming the session C{CCC} had ended was served. C{PBSZ} and C{PROT}
are needed again now, and data connections resume the new session.

Tried and held (C{python -m ftpkit}, one process, the C{users:} realm
with a read-only user limited to 10K/s, a user with quotas, two users
sharing a home, an C{anonymous} entry, C{--anonymous-write}, explicit
TLS; one server with C{--tls-required --tls-anonymous-exempt
--tls-allow-ccc --max-sessions-per-user 2} and C{--vhost}s of the
memory realm, one without, one with C{--tls-require-session-reuse}):
    - a state-machine fuzz of C{USER}, C{PASS}, C{ACCT}, C{REIN},
      C{AUTH TLS}/C{TLS-P}/C{SSL} (with and without an SNI),
      C{PBSZ}, C{PROT}, C{CCC}, C{HOST}, passive transfers and 15 other
      verbs, in random orders, 255 sessions of up to 60 commands, with
      and without C{--tls-required}: no C{451}, no traceback, no login
      but anonymous in clear under C{--tls-required};
    - C{CCC}, then C{REIN}: C{USER alice} in clear C{530}, her C{PASS}
      C{503}, anonymous C{230}; C{PBSZ} and C{PROT C} after C{CCC}
      C{503}; C{PROT P} listings before and after C{CCC} resume the
      session, with C{--tls-require-session-reuse} too;
    - C{USER} with NUL, a lone CR followed by C{PASS}, overlong UTF-8,
      bytes not UTF-8, 8,000 bytes, a BOM, tabs, spaces, upper case:
      C{331} then C{530}, each 1.0 to 1.05 s, no traceback;
    - nothing sticks across C{REIN}: the read-only user's 300,000 bytes
      took 28.9 s at 10K/s, then alice's 0.005 s; C{REST}, C{RNFR},
      C{OPTS MLST}, C{PORT}, C{EPRT} are gone (C{RNTO} refused,
      C{LIST} C{425}), anonymous after alice may only make new files
      (C{STOR} of an existing file, C{APPE}, C{REST} + C{STOR}: C{550});
      20 C{REIN}-and-login cycles on two sessions of a user with
      C{--max-sessions-per-user 2}: a third login C{421}, two logins
      C{230} once both quit; listings of two users sharing a home,
      alternating, each with its own C{perm} facts through the cache;
    - the read-only user: C{SITE UTIME} (both forms), C{SITE CHMOD},
      C{MFF} (both facts), C{MFMT}, C{DELE}, C{MKD}, C{XMKD}, C{RMD},
      C{STOU}, C{APPE}, C{STOR}: C{550} (C{RNFR} C{350}, its C{RNTO}
      refused; since, C{RNFR} C{550} too: C{test_realmaccess});
    - 166 odd arguments of C{OPTS} (MLST facts, UTF8, HASH, REST),
      C{LANG}, C{MFMT}, C{MFF}, C{MDTM} with a time, C{SITE}, C{HASH},
      C{RANG}, C{REST}, C{ALLO}, C{TYPE L 7}/C{A N}/C{A T}/C{A C},
      C{MODE}, C{STRU}, C{EPRT} with letters, dots, colons and U+2023 as
      delimiters, C{PORT} below 1024 and with odd spellings, C{EPSV},
      C{PBSZ}, C{PROT}, C{AUTH}, C{STAT}, C{HELP}, the X-verbs, C{AVBL}:
      C{2xx}, C{5xx}, never C{451};
    - C{ABOR} of a download its client does not read (4 KB receive
      buffer): C{426} and C{226} in 1.2 ms; 20 such sessions, in clear
      and under C{PROT P}: the server's descriptors 76, then 36 at once
      (the data sockets left to the kernel), 15 once they quit;
    - a C{PROT P} data connection's ClientHello sent a byte every 4 s:
      reset at 12.3 s (C{--data-timeout 10}).
"""

import socket

from twisted.trial import unittest

from ftpkit.control.vhosts import VirtualHost
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell
from tests.integration.test_attack_jail import RawClient
from tests.tlssupport import FTPSTestsMixin, clientContext


class _OtherRealm:
    """
    Gives every user a L{MemoryShell} holding C{/other}.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, MemoryShell({"/other": b"x"}), lambda: None


class TLSClient(RawClient):
    """
    L{RawClient} that can start TLS on its control connection.

    @ivar context: the client's one TLS context (a session resumes only
        in the context it was made in).
    """

    context = clientContext()

    def startTLS(self, serverName=None):
        """
        Send C{AUTH TLS} and do the handshake, naming C{serverName} (SNI).

        @return: the reply to C{AUTH TLS}.
        """
        reply = self.command("AUTH TLS")
        self.sock = self.context.wrap_socket(self.sock,
                                             server_hostname=serverName)
        return reply

    def clearTLS(self):
        """
        Send C{CCC} and end TLS on the control connection.

        @return: the reply to C{CCC}.
        """
        reply = self.command("CCC")
        self.sock = self.sock.unwrap()
        return reply

    def listing(self, session):
        """
        Run C{LIST} over a passive data connection under TLS resuming
        C{session}.

        @return: C{(first reply, final reply)}.
        """
        port = self.epsvPort()
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=20) as raw:
            first = self.command("LIST")
            if not first.startswith(b"1"):
                return first, None
            try:
                with self.context.wrap_socket(raw, session=session) as data:
                    while data.recv(65536):
                        pass
            except OSError:
                pass
        return first[:4], self.reply()[:4]


class HostBeforeTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    A server with the virtual host C{other.example}, and a client whose
    C{HOST} was sent in clear before C{AUTH TLS}.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.serve(virtualHosts=(
            VirtualHost(("other.example",), "test", _OtherRealm()),))

    def session(self, serverName, *lines):
        """
        Send C{HOST other.example} in clear, start TLS naming
        C{serverName}, then send C{lines}.

        @return: a Deferred firing with the replies' first four bytes.
        """
        def run():
            client = TLSClient(self.server.port)
            try:
                replies = [client.command("HOST other.example"),
                           client.startTLS(serverName)]
                replies += [client.command(line) for line in lines]
                return [reply[:4] for reply in replies]
            finally:
                client.close()

        return self.inThread(run)

    async def test_otherName(self):
        """
        A handshake naming another host: C{USER} is refused, and the next
        login is the default realm's, whose root holds C{big.bin}.
        """
        replies = await self.session(
            "localhost", "USER alice", "PASS secret", "USER alice",
            "PASS secret", "MDTM big.bin", "MDTM other")
        self.assertEqual(replies, [b"220 ", b"234 ", b"530 ", b"503 ",
                                   b"331 ", b"230 ", b"213 ", b"550 "])

    async def test_sameName(self):
        """
        A handshake naming the host chosen in clear logs in to it.
        """
        replies = await self.session(
            "other.example", "USER alice", "PASS secret", "MDTM other")
        self.assertEqual(replies, [b"220 ", b"234 ", b"331 ", b"230 ",
                                   b"213 "])


class AuthAfterCCCTests(FTPSTestsMixin, unittest.TestCase):
    """
    A server that allows C{CCC} and requires data connections to resume
    the control connection's TLS session, and a client that ends TLS with
    C{CCC}, then starts it again.
    """

    async def test_securityStateReset(self):
        """
        After the new C{AUTH TLS}, C{PROT} needs C{PBSZ} again, and a
        data connection resuming the new control session is served; one
        resuming the session C{CCC} ended is refused.
        """
        server = self.serve(tlsAllowCCC=True, tlsRequireSessionReuse=True)

        def run():
            client = TLSClient(server.port)
            try:
                client.startTLS()
                replies = [client.command(line)[:4] for line in (
                    "USER alice", "PASS secret", "PBSZ 0", "PROT P")]
                ended = client.sock.session
                replies.append(client.clearTLS()[:4])
                replies.append(client.command("REIN")[:4])
                replies.append(client.startTLS()[:4])
                replies += [client.command(line)[:4] for line in (
                    "USER alice", "PASS secret", "PROT P", "PBSZ 0",
                    "PROT P")]
                replies.append(client.listing(client.sock.session))
                replies.append(client.listing(ended))
                return replies
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual(replies, [
            b"331 ", b"230 ", b"200 ", b"200 ", b"200 ", b"220 ", b"234 ",
            b"331 ", b"230 ", b"503 ", b"200 ", b"200 ",
            (b"150 ", b"226 "), (b"150 ", b"426 ")])
