"""
Control connections share OpenSSL contexts one after the other
(L{ftpkit.control.tlspool}), and a session cached under an earlier one is
never resumed under a later one.
"""

import ftplib
import gc
import io
import socket
import ssl
import types

from twisted.internet import reactor, task
from twisted.trial import unittest

from ftpkit.compat.controltls import ControlTLSProtocol
from ftpkit.control.tls import makeContextFactory
from tests.ftpclient import ftplibLogin
from tests.sockreads import readToEnd
from tests.tlssupport import FTPSTestsMixin, ReusingFTPTLS, clientContext


class PoolWaits(FTPSTestsMixin):
    """
    Waits for the server's pool of contexts and its sessions.
    """

    async def keptContext(self):
        """
        @return: the context the server keeps for its next control
            connection, once the last one has ended (waited for: up to ten
            seconds).
        """
        for _ in range(1000):
            kept = self.factory._contexts._idle
            if kept:
                return kept[-1][0]
            await task.deferLater(reactor, 0.01)
        self.fail("no context kept")

    async def allEnded(self):
        """
        Wait (up to ten seconds) until the server has no session left.
        """
        for _ in range(1000):
            if not self.server.factory.openSessions:
                return
            await task.deferLater(reactor, 0.01)
        self.fail("sessions left")


class RecycledContextTests(PoolWaits, unittest.TestCase):
    """
    The context of a control connection that ended, no data connection
    having used it, serves the next one.
    """

    async def test_earlierSessionNotResumed(self):
        """
        The TLS session of the control connection that had the context
        before cannot be resumed on the data connections of the one that
        has it now (with C{--tls-require-session-reuse}, such a data
        connection is refused), while that one's own session can.
        """
        await self.earlierSessionNotResumed(ssl.TLSVersion.TLSv1_2)

    async def test_earlierSessionNotResumedTLS13(self):
        """
        The same under TLS 1.3 (C{--tls-allow-1.3}), whose sessions are
        resumed from tickets the server keeps in the same cache.
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        await self.earlierSessionNotResumed(ssl.TLSVersion.TLSv1_3)

    async def earlierSessionNotResumed(self, version):
        """
        Check that a session cached under the earlier user of a context is
        not resumed under the later one.

        @param version: the TLS version both connections use.
        """
        self.serve(tlsRequireSessionReuse=True)
        context = clientContext()
        context.minimum_version = context.maximum_version = version

        def first():
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=ReusingFTPTLS(context=context))
            session = ftp.sock.session
            # A clean TLS close (close_notify both ways) keeps the
            # session in the server's cache: OpenSSL drops those of
            # connections cut short.
            ftp.sock = ftp.sock.unwrap()
            ftp.close()
            return session

        def second(earlier):
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=ReusingFTPTLS(context=context),
                              protect=True)
            own = io.BytesIO()
            ftp.retrbinary("RETR big.bin", own.write)
            ftp.reuseFrom = types.SimpleNamespace(session=earlier)
            failure = None
            try:
                ftp.retrbinary("RETR big.bin", lambda data: None)
            except (ftplib.Error, ssl.SSLError, OSError) as e:
                failure = str(e)
            ftp.close()
            return own.getvalue(), failure, ftp.reused

        earlier = await self.inThread(first)
        kept = await self.keptContext()
        data, failure, reused = await self.inThread(second, earlier)
        self.assertEqual(data, self.payload)
        self.assertIsNotNone(failure, "an earlier connection's session "
                             "was resumed")
        self.assertEqual(reused[0], True)
        self.assertNotEqual(reused[1:], [True])
        self.assertNotIn(kept, [c for c, _ in self.factory._contexts._idle])
        self.assertEqual(self.factory._contexts._idle, [])

    async def test_lentNotKept(self):
        """
        A context a data connection used is not kept: it may have cached
        the sessions of any number of data connections.
        """
        self.serve()

        def client():
            ftp = self.connect()
            ftp.prot_p()
            ftp.retrbinary("RETR big.bin", lambda data: None)
            ftp.quit()

        await self.inThread(client)
        await self.allEnded()
        self.assertEqual(self.factory._contexts._idle, [])
        plain = self.connect
        await self.inThread(lambda: plain().quit())
        await self.keptContext()
        self.assertEqual(len(self.factory._contexts._idle), 1)


class AuthAfterCCCTests(PoolWaits, unittest.TestCase):
    """
    C{AUTH TLS} after C{CCC} gives back the context of the TLS session
    C{CCC} ended before it takes one: it overwrote it, never given back,
    so a client looping C{AUTH TLS}, login, C{CCC} made a context (the
    costliest part of an FTPS login) at every round.
    """

    def countMade(self):
        """
        @return: a list that gets one item for each context the server's
            pool makes from now on.
        """
        made = []
        pool = self.factory._contexts
        make = pool._make
        pool._make = lambda: made.append(None) or make()
        return made

    async def rounds(self, count, lend=False):
        """
        Log in under TLS, then C{count - 1} times C{CCC}, C{AUTH TLS} and
        a login again, on one connection, then C{QUIT} (a raw client:
        ftplib's C{ccc} leaves an C{SSLSocket} it takes for one still
        under TLS).

        @param lend: download under C{PROT P} before the first C{CCC}
            (its data connection uses the context).
        """
        self.serve(tlsAllowCCC=True)
        context = clientContext()

        def client():
            sock = socket.create_connection(("127.0.0.1", self.server.port),
                                            timeout=20)
            replies = sock.makefile("rb")
            replies.readline()
            for round in range(count):
                sock.sendall(b"AUTH TLS\r\n")
                replies.readline()
                sock = context.wrap_socket(sock, server_hostname="localhost")
                replies = sock.makefile("rb")
                for line in (b"USER alice", b"PASS secret"):
                    sock.sendall(line + b"\r\n")
                    replies.readline()
                if lend and round == 0:
                    download(sock, replies, context)
                if round < count - 1:
                    sock.sendall(b"CCC\r\n")
                    replies.readline()
                    sock = sock.unwrap()
                    replies = sock.makefile("rb")
            sock.sendall(b"QUIT\r\n")
            replies.readline()
            sock.close()

        await self.inThread(client)
        await self.allEnded()

    async def test_oneContext(self):
        """
        Five rounds on one connection make one context, kept for the
        next connection once it ends (they made five).
        """
        made = self.countMade()
        await self.rounds(5)
        self.assertEqual(len(made), 1)
        await self.keptContext()
        self.assertEqual(len(self.factory._contexts._idle), 1)

    async def test_layersFreed(self):
        """
        The TLS layers C{CCC} took off are freed once the connection
        ended: each stayed in its factory's protocols (a layer and its
        TLS connection, 20 KB, for the life of the process).
        """
        gc.collect()
        before = layers()
        await self.rounds(5)
        gc.collect()
        self.assertEqual(layers(), before)

    async def test_lentNotCarried(self):
        """
        A context a data connection used is not kept, but the one the
        next C{AUTH TLS} takes, which none used, is (it was taken for
        lent too).
        """
        made = self.countMade()
        await self.rounds(2, lend=True)
        self.assertEqual(len(made), 2)
        await self.keptContext()
        self.assertEqual(len(self.factory._contexts._idle), 1)


def download(sock, replies, context):
    """
    Download C{big.bin} under C{PROT P} (blocking).

    @param sock: a control connection under TLS, logged in.
    @param replies: what reads its replies.
    @param context: the client's TLS context.
    """
    for line in (b"PBSZ 0", b"PROT P", b"TYPE I", b"EPSV"):
        sock.sendall(line + b"\r\n")
        reply = replies.readline()
    port = int(reply.split(b"|||")[1].split(b"|")[0])
    data = context.wrap_socket(socket.create_connection(
        ("127.0.0.1", port), timeout=20), server_hostname="localhost")
    sock.sendall(b"RETR big.bin\r\n")
    replies.readline()
    readToEnd(data)
    data.close()
    replies.readline()


def layers():
    """
    @return: how many control connections' TLS layers are in memory.
    """
    return sum(isinstance(o, ControlTLSProtocol) for o in gc.get_objects())
