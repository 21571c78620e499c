"""
Session 40's control-channel features in every mode a deployment runs
(L{tests.featuremodes}: C{twistd -n} and C{python -m}, one process and
C{--workers 2}, C{127.0.0.1} and C{::1}), over explicit (C{AUTH TLS}) and
implicit (C{ssl:}) FTPS:

  - the FTPS control records read and written in one call
    (L{ftpkit.compat.openrecords}): a reply of many TLS records, more
    than the sockets' buffers take, to a client that sends a burst of
    commands in one record and reads nothing until it has sent them; a
    client closing in the middle of such a reply; after C{CCC}; after
    C{REIN} and a second C{AUTH TLS}; C{SIGHUP} and C{SIGTERM} while such
    a reply waits for the client;
  - C{OPTS UTF-8 ON} and C{HELP SITE}.
"""

import signal
import socket
import struct

from tests.featuremodes import (
    LONG_NAMES,
    ControlClient,
    ModeServerMixin,
    modes,
)

PIPELINED = 50
"""The C{NOOP}s sent behind a long reply, in the same record."""


class ControlRecordTests(ModeServerMixin):
    """
    Long replies and bursts of commands on FTPS control connections.
    """

    def setUp(self):
        self.makeRoot()
        self.startServer()

    def burst(self, client, count=PIPELINED):
        """
        Send C{STAT} of C{mid} and C{count} C{NOOP}s in one send (one TLS
        record), read nothing meanwhile, then read it all.

        @return: the C{STAT} reply's lines and the C{NOOP} replies' codes.
        """
        client.send(b"STAT -l /mid\r\n" + b"NOOP\r\n" * count)
        status = client.reply()
        return status, {client.reply()[0][:3] for _ in range(count)}

    def assertBurst(self, client):
        """
        Assert that L{burst} gets the whole listing and every C{NOOP}'s
        C{200}.
        """
        status, codes = self.burst(client)
        self.assertEqual(len(status), LONG_NAMES + 2)
        self.assertEqual(status[0], b"212-Status of /mid:")
        self.assertEqual(status[-1], b"212 End of status")
        self.assertEqual(codes, {b"200"})

    def test_records(self):
        """
        A long reply and a burst of commands on either listener; clients
        closing while a long reply is sent (in order, and with a reset)
        end only their own session; C{REIN} under TLS is refused and the
        records go on; C{OPTS UTF-8 ON} and C{HELP SITE} in one record.
        """
        for implicit in (False, True):
            self.assertBurst(self.client(implicit))
        for implicit, reset in [(False, False), (True, True)]:
            client = self.client(implicit)
            client.send(b"STAT -l /mid\r\n")
            self.assertEqual(client.reply()[0], b"212-Status of /mid:")
            if reset:
                client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            client.close()
        client = self.client(implicit=True)
        self.assertEqual(client.command(b"REIN")[:3], b"502")
        self.assertBurst(client)
        self.assertSessionCommands(client)
        self.assertNoTraceback()

    def assertSessionCommands(self, client):
        """
        Assert that both spellings of C{OPTS UTF8 ON}, C{HELP SITE}, and
        C{HELP SITE CHMOD} (as C{SITE HELP CHMOD}), sent in one record,
        get their replies.
        """
        client.send(b"OPTS UTF-8 ON\r\nOPTS UTF8 ON\r\nHELP SITE\r\n"
                    b"HELP SITE CHMOD\r\nSITE HELP CHMOD\r\n")
        replies = [client.reply() for _ in range(5)]
        self.assertEqual([reply[0][:3] for reply in replies],
                         [b"200", b"200", b"214", b"214", b"214"])
        self.assertIn(b"CHMOD", replies[2][0])
        self.assertEqual(replies[3], [b"214 Syntax: SITE CHMOD <mode> <path>"])
        self.assertEqual(replies[3], replies[4])

    def test_clearAgain(self):
        """
        After C{CCC} the long reply and the burst come in clear, whole;
        C{REIN} after a clear login, then C{AUTH TLS} and a login again:
        the records of the new TLS layer carry them; after C{CCC},
        C{REIN} and a third C{AUTH TLS}, again.
        """
        client = self.client(implicit=False)
        self.assertEqual(client.command(b"PBSZ 0")[:3], b"200")
        self.assertEqual(client.clearControl()[:3], b"200")
        self.assertBurst(client)
        client = ControlClient(self.host, self.server.port)
        self.addCleanup(client.close)
        for clear in (True, False):
            if clear:
                self.assertEqual(client.login()[1][:3], b"230")
            else:
                self.assertEqual(client.command(b"PBSZ 0")[:3], b"200")
                self.assertEqual(client.clearControl()[:3], b"200")
            self.assertEqual(client.command(b"REIN")[:3], b"220")
            self.assertEqual(client.startTLS()[:3], b"234")
            self.assertEqual(client.login()[1][:3], b"230")
            self.assertBurst(client)
            self.assertSessionCommands(client)
        self.assertNoTraceback()

    def test_sighupWhileReplyWaits(self):
        """
        C{SIGHUP} while a long reply waits for its client: once the
        server reloaded, the client reads it whole, and the burst.
        """
        client = self.client(implicit=True)
        client.send(b"STAT -l /mid\r\n" + b"NOOP\r\n" * PIPELINED)
        self.server.waitForLog("login from")
        self.server.signal(signal.SIGHUP)
        self.server.waitForLog("reloaded the TLS certificate")
        status = client.reply()
        self.assertEqual(len(status), LONG_NAMES + 2)
        self.assertEqual({client.reply()[0][:3] for _ in range(PIPELINED)},
                         {b"200"})
        self.assertBurst(client)
        self.assertNoTraceback()

    def test_sigtermWhileReplyWaits(self):
        """
        C{SIGTERM} while a long reply may be on its way to a client that
        reads nothing: the session is closed after a C{421}, and before
        it the client gets that reply whole if the server had begun it
        (the burst's commands not begun when the server stopped taking
        commands are not run); the server ends as C{SIGTERM} ends a
        process.
        """
        client = self.client(implicit=False)
        client.send(b"STAT -l /mid\r\n" + b"NOOP\r\n" * PIPELINED)
        self.server.waitForLog("login from")
        self.server.signal(signal.SIGTERM)
        self.server.waitForLog("stopping: closing")
        replies = []
        while not replies or replies[-1][0][:3] != b"421":
            replies.append(client.reply())
        self.assertRaises(EOFError, client.reply)
        if replies[0][0][:3] == b"212":
            self.assertEqual(len(replies.pop(0)), LONG_NAMES + 2)
        self.assertEqual({reply[0][:3] for reply in replies[:-1]},
                         {b"200"} if replies[:-1] else set())
        self.assertEqual(self.server.process.wait(60), -signal.SIGTERM)

modes(ControlRecordTests, "ControlRecords", globals())
