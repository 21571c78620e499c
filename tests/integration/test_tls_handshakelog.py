"""
A control connection whose TLS handshake fails is logged, with the
client's address and OpenSSL's reason: before, it ended without a line,
and an operator could not tell why a client (lftp with C{ftp:ssl-auth
SSL}, which offers TLS 1.3 alone, against the default TLS 1.2 ceiling)
could not log in.
"""

import os
import ssl

from twisted.internet import defer, reactor, task, utils
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from tests.integration.test_attack_tlssessions import TLSClient
from tests.tlssupport import (
    FTPSTestsMixin,
    clientContext,
    skipUnlessBinary,
)


def captureLines(testCase):
    """
    Collect the text of every log event until the test ends.

    @param testCase: the running test.
    @return: the list the texts are appended to.
    """
    lines = []

    def observe(event):
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    testCase.addCleanup(globalLogPublisher.removeObserver, observe)
    return lines


def onlyTLS13():
    """
    @return: a client context that offers TLS 1.3 and nothing older.
    """
    context = clientContext()
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


class HandshakeFailureLogTests(FTPSTestsMixin, unittest.TestCase):
    """
    Clients that offer only TLS 1.3 to a server with the TLS 1.2 ceiling.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.lines = captureLines(self)

    def failures(self):
        return [line for line in self.lines
                if "TLS handshake" in line and "127.0.0.1" in line]

    def handshake(self, implicit):
        """
        Try to log in over TLS 1.3 only (blocking: call in a thread).

        @return: the client's error.
        """
        try:
            self.connect(context=onlyTLS13(), implicit=implicit)
        except (ssl.SSLError, OSError, EOFError) as e:
            return e
        self.fail("a TLS 1.3 handshake succeeded under a TLS 1.2 ceiling")

    async def check(self, error=None):
        """
        Wait for the server to see the connection end (the client may
        notice first), then check the one line it logged.
        """
        for _ in range(400):
            if self.failures():
                break
            await task.deferLater(reactor, 0.05, lambda: None)
        failures = self.failures()
        self.assertEqual(len(failures), 1, self.lines)
        self.assertIn("failed: unsupported protocol", failures[0])

    def test_explicit(self):
        """
        C{AUTH TLS}, then a handshake the server refuses: one line.
        """
        self.serve()
        return self.inThread(self.handshake, False).addCallback(
            lambda _: defer.ensureDeferred(self.check()))

    def test_implicit(self):
        """
        An C{ssl:} listener: the same line.
        """
        self.serveImplicit()
        return self.inThread(self.handshake, True).addCallback(
            lambda _: defer.ensureDeferred(self.check()))

    def test_successNotLogged(self):
        """
        A handshake that succeeds, and a session that ends well, log no
        such line.
        """
        self.serve()

        def client():
            ftp = self.connect()
            ftp.quit()

        def check(_):
            self.assertEqual(self.failures(), [])
        return self.inThread(client).addCallback(check)

    async def test_lftpAuthSSL(self):
        """
        lftp with C{ftp:ssl-auth SSL} offers TLS 1.3 alone: it fails, and
        the server says why.
        """
        lftp = skipUnlessBinary("lftp")
        self.serve()
        script = ("set ssl:verify-certificate no; set ftp:ssl-force yes; "
                  "set ftp:ssl-auth SSL; set net:max-retries 1; "
                  "set net:timeout 10; "
                  "open -u alice,secret ftp://127.0.0.1:%d; cls"
                  % (self.server.port,))
        out, err, code = await utils.getProcessOutputAndValue(
            lftp, ["-c", script], env=os.environ, reactor=reactor)
        self.assertNotEqual(code, 0, out + err)
        await self.check()


class HandshakeAfterCCCLogTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{AUTH TLS} again after C{CCC}, its handshake refused: logged as the
    first one's would be. It was not: the new TLS state kept the first
    handshake's C{handshakeDone}.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.lines = captureLines(self)

    async def test_secondHandshakeFails(self):
        """
        A login under TLS, C{CCC}, then C{AUTH TLS} and a TLS 1.3 only
        handshake under the TLS 1.2 ceiling: one line says why it failed.
        """
        self.serve(tlsAllowCCC=True)

        def run():
            client = TLSClient(self.server.port)
            try:
                client.startTLS()
                replies = [client.login()[:4], client.clearTLS()[:4],
                           client.command("AUTH TLS")[:4]]
                self.assertRaises((ssl.SSLError, OSError),
                                  onlyTLS13().wrap_socket, client.sock)
                return replies
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual(replies, [b"230 ", b"200 ", b"234 "])
        await HandshakeFailureLogTests.check(self)

    failures = HandshakeFailureLogTests.failures
