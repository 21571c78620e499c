"""
Control connections share OpenSSL contexts one after the other
(L{ftpkit.control.tlspool}), and a session cached under an earlier one is
never resumed under a later one.
"""

import ftplib
import io
import ssl
import types

from twisted.internet import reactor, task
from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.ftpclient import ftplibLogin
from tests.tlssupport import FTPSTestsMixin, ReusingFTPTLS, clientContext


class RecycledContextTests(FTPSTestsMixin, unittest.TestCase):
    """
    The context of a control connection that ended, no data connection
    having used it, serves the next one.
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
