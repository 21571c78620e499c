"""
The session cache of a control connection's OpenSSL context stays bounded
(L{ftpkit.control.tls.SESSION_CACHE_SIZE}) however many transfers the
session makes: it cached one TLS session per data connection under TLS
1.2 without resumption, two under TLS 1.3 with
C{tlsRequireSessionReuse}, up to OpenSSL's default of 20,480 (some 23 MB
per control connection).
"""

import ftplib
import os
import ssl

from twisted.trial import unittest

from ftpkit.control.tls import SESSION_CACHE_SIZE, makeContextFactory
from tests.ftpclient import ftplibLogin
from tests.tlssupport import (
    FTPSTestsMixin,
    ReusingFTPTLS,
    clientContext,
    sessionCache,
)


class SessionCacheBoundTests(FTPSTestsMixin, unittest.TestCase):
    """
    One control connection making more transfers than its context's
    session cache may hold sessions.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        with open(os.path.join(self.root, "small.bin"), "wb") as f:
            f.write(b"s" * 100)

    async def cacheAfterTransfers(self, version, client, transfers):
        """
        Log in over TLS at C{version}, protect the data connections and
        download a small file C{transfers} times.

        @param version: the C{ssl.TLSVersion} both connections use.
        @param client: the ftplib class (an C{FTP_TLS}).
        @param transfers: how many downloads.
        @return: C{((cached, bound), client)}: the session cache of the
            control connection's context once the last download ended,
            and the client.
        """
        context = clientContext()
        context.minimum_version = context.maximum_version = version

        def run():
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=client(context=context), protect=True)
            for _ in range(transfers):
                self.assertEqual(
                    ftp.retrbinary("RETR small.bin", lambda data: None)[:3],
                    "226")
            return ftp

        ftp = await self.inThread(run)
        contexts = list(self.factory._contexts._lent)
        self.assertEqual(len(contexts), 1)
        cache = sessionCache(contexts[0])
        await self.inThread(ftp.quit)
        return cache, ftp

    async def test_tls13SessionReuse(self):
        """
        Under TLS 1.3 with C{tlsRequireSessionReuse}, each download caches
        the ticket of its data connection and the control connection's
        new one; the cache keeps the newest L{SESSION_CACHE_SIZE}, and
        every data connection still resumes.
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequireSessionReuse=True)
        transfers = SESSION_CACHE_SIZE
        (cached, bound), ftp = await self.cacheAfterTransfers(
            ssl.TLSVersion.TLSv1_3, ReusingFTPTLS, transfers)
        self.assertLessEqual(cached, SESSION_CACHE_SIZE)
        self.assertEqual(bound, SESSION_CACHE_SIZE)
        self.assertEqual(ftp.reused, [True] * transfers)

    async def test_tls13ControlTicketKept(self):
        """
        Under TLS 1.3 without C{tlsRequireSessionReuse}, a client resuming
        the control connection's ticket on every data connection (as
        FileZilla, lftp and Python's C{ssl} do: no new ticket reaches the
        control connection) resumes every one, however many: data
        connections issue no tickets to push it out of the bounded cache,
        where after some 60 transfers every data connection had to start
        afresh.
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve()
        transfers = SESSION_CACHE_SIZE + 10
        (cached, _), ftp = await self.cacheAfterTransfers(
            ssl.TLSVersion.TLSv1_3, ReusingFTPTLS, transfers)
        self.assertEqual(ftp.reused, [True] * transfers)
        self.assertEqual(len(set(ftp.offered)), 1)
        self.assertLessEqual(cached, 2)

    async def test_tls13OneTicketWithSessionReuse(self):
        """
        Under TLS 1.3 with C{tlsRequireSessionReuse}, a client resuming the
        control connection's first ticket on every data connection (wget,
        GnuTLS) resumes every one, however many: a ticket resumed again
        earns no new one. Each new ticket took a place in the bounded
        cache, and the client's own left it after some 63 transfers: the
        next data connection was refused.
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequireSessionReuse=True)
        transfers = SESSION_CACHE_SIZE + 10

        class Pinning(ReusingFTPTLS):
            def ntransfercmd(self, cmd, rest=None):
                if self.pinned is None:
                    self.pinned = self.sock.session
                return ReusingFTPTLS.ntransfercmd(self, cmd, rest)

        (cached, _), ftp = await self.cacheAfterTransfers(
            ssl.TLSVersion.TLSv1_3, Pinning, transfers)
        self.assertEqual(ftp.reused, [True] * transfers)
        self.assertEqual(len(set(ftp.offered)), 1)
        self.assertLessEqual(cached, 3)

    async def test_tls12FullHandshakes(self):
        """
        Under TLS 1.2, each data connection of a client that does not
        resume (ftplib) caches a new session; the cache keeps
        L{SESSION_CACHE_SIZE}.
        """
        self.serve()
        (cached, bound), _ = await self.cacheAfterTransfers(
            ssl.TLSVersion.TLSv1_2, ftplib.FTP_TLS, SESSION_CACHE_SIZE + 6)
        self.assertLessEqual(cached, SESSION_CACHE_SIZE)
        self.assertEqual(bound, SESSION_CACHE_SIZE)
