"""
A client that pipelines a download, more commands and C{QUIT} in one
write and hangs up at once, on a real server (C{python -m ftpkit}, in
one process and under C{--workers 2}): the download goes on (RFC 959 lets
a transfer finish after C{QUIT}), then the commands queued before the
C{QUIT} run (L{ftpkit.control.quitleft}); they never ran, the session
ending with the transfer. And a client that sends C{STOR}, part of its
data, more commands than the session queues and C{QUIT}, and closes its
control connection: the session, its reading paused, sees the hang-up
(L{ftpkit.control.hangup}) with the C{QUIT} still unread, reads it then,
and lets the upload finish; it was cut (C{426}), the C{QUIT} never read.
A download, 3000 C{NOOP}s and C{QUIT} in one write, then a hang-up: the
session, running 64 lines a turn, lost its connection with the C{QUIT}
received but not yet run; it looks for it then (it cut the download).
Commands before a C{QUIT} found so run too, as many as the session's
queue holds (L{HungUpCommandsTests}); a last C{QUIT} without its line end
is no command (L{UnendedQuitTests}).
"""

import os
import re

from twisted.trial import unittest

from tests.rawclient import RawClient, readToEnd
from tests.scratch import scratchDirectory
from tests.serverprocess import startServing
from tests.tlssupport import Certificates, clientContext

SIZE = 8 * 1024 * 1024
"""The download's size: more than the sockets' buffers hold, so that it
still runs when the server sees the client hang up."""


def loggedIn(testCase, server, tls=False):
    """
    Log in to C{server} as alice with a L{RawClient}, under C{AUTH TLS}
    when C{tls}, and connect a binary data connection (both closed after
    the test).

    @param testCase: the running test.
    @param server: the L{ServerProcess}.
    @param tls: whether the control connection is secured first.
    @return: C{(client, data)}: the client and the data socket, its
        transfer command not sent yet.
    """
    client = RawClient(server.port)
    testCase.addCleanup(client.close)
    if tls:
        client.command("AUTH TLS")
        client.sock = clientContext().wrap_socket(client.sock)
    client.login()
    data = client.binaryData()
    testCase.addCleanup(data.close)
    return client, data


def sentAndLeft(testCase, lines, workers, announced=False, files=None):
    """
    Start a server (L{startServing}) on a new root holding C{big}
    (L{SIZE} bytes) and C{files}, log in to it as alice with a binary data
    connection (L{loggedIn}), send C{lines} in one write, and hang up.

    @param testCase: the running test.
    @param lines: the bytes sent.
    @param workers: the C{--workers} count, or C{None} for one process.
    @param announced: wait for the first reply, a C{150}, before hanging
        up.
    @param files: more files, C{{name: bytes}}, or C{None}.
    @return: C{(server, root, data)}: the L{ServerProcess}, the root, and
        the data socket.
    """
    root = scratchDirectory(testCase)
    for name, content in {"big": b"b" * SIZE, **(files or {})}.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(content)
    server = startServing(
        testCase, ["--root", root, "--auth", "memory:alice:secret"], workers)
    client, data = loggedIn(testCase, server)
    client.sock.sendall(lines)
    if announced:
        testCase.assertTrue(client.reply().startswith(b"150"))
    client.close()
    return server, root, data


class RunToQuitTests(unittest.TestCase):
    """
    C{RETR big}, C{MKD done}, C{RNFR}, C{RNTO}, C{QUIT}, then a hang-up.
    """

    timeout = 120
    workers = None

    def test_commandsBeforeQuitRun(self):
        """
        The whole file is sent, the directory made and the file renamed,
        then the user is logged out.
        """
        server, root, data = sentAndLeft(
            self, b"RETR big\r\nMKD done\r\nRNFR old.txt\r\n"
            b"RNTO new.txt\r\nQUIT\r\n", self.workers,
            files={"old.txt": b"o"})
        self.assertEqual(len(readToEnd(data)), SIZE)
        server.waitForLog("logout from")
        self.assertTrue(os.path.isdir(os.path.join(root, "done")))
        self.assertEqual(sorted(os.listdir(root)), ["big", "done", "new.txt"])

    def test_workers(self):
        """
        The same under C{--workers 2}.
        """
        self.workers = 2
        self.test_commandsBeforeQuitRun()


class ReinBeforeQuitTests(unittest.TestCase):
    """
    C{RETR big}, C{REIN}, C{USER}, C{PASS}, C{MKD done}, C{QUIT}, then a
    hang-up.
    """

    timeout = 120
    workers = None

    def test_loginRuns(self):
        """
        The login runs as with the client there (logged, counted), the
        directory is made, then the user is logged out; the login was
        dropped without a line, and the C{MKD} refused (C{530}).
        """
        server, root, data = sentAndLeft(
            self, b"RETR big\r\nREIN\r\nUSER alice\r\n"
            b"PASS secret\r\nMKD done\r\nQUIT\r\n", self.workers)
        self.assertEqual(len(readToEnd(data)), SIZE)
        log = server.waitForLog("logout from", 2)
        self.assertEqual(log.count("login from 127.0.0.1 user 'alice'"), 2)
        self.assertIn("MKD from 127.0.0.1 user 'alice' path '/done'", log)
        self.assertEqual(sorted(os.listdir(root)), ["big", "done"])

    def test_workers(self):
        """
        The same under C{--workers 2} (the acceptor admits the login).
        """
        self.workers = 2
        self.test_loginRuns()


class QuitNotRunYetTests(unittest.TestCase):
    """
    C{RETR big}, 3000 C{NOOP}s, C{QUIT}, then a hang-up.
    """

    timeout = 120
    workers = None

    def test_downloadWhole(self):
        """
        The whole file is sent, then the user is logged out.
        """
        server, root, data = sentAndLeft(
            self, b"RETR big\r\n" + b"NOOP\r\n" * 3000 + b"QUIT\r\n",
            self.workers)
        self.assertEqual(len(readToEnd(data)), SIZE)
        log = server.waitForLog("logout from")
        self.assertRegex(log, re.escape("'/big': 226, %d bytes" % (SIZE,)))

    def test_workers(self):
        """
        The same under C{--workers 2}.
        """
        self.workers = 2
        self.test_downloadWhole()

    def test_abortCuts(self):
        """
        With C{ABOR} and C{MKD d} before the C{QUIT}: the download is cut
        (C{426}), as the C{ABOR} would have cut it with the client there,
        then the directory is made; the download ran whole.
        """
        server, root, data = sentAndLeft(
            self, b"RETR big\r\n" + b"NOOP\r\n" * 3000
            + b"ABOR\r\nMKD d\r\nQUIT\r\n", self.workers)
        readToEnd(data)
        log = server.waitForLog("logout from")
        self.assertRegex(log, re.escape("'/big': 426, "))
        self.assertEqual(sorted(os.listdir(root)), ["big", "d"])


class HungUpCommandsTests(unittest.TestCase):
    """
    C{RETR big}, 200 C{MKD}s, C{QUIT}, then a hang-up: the session stops
    reading at its queue's limit (64 commands), sees the hang-up, and
    finds the C{QUIT} in what it had not read.
    """

    timeout = 120
    workers = None

    def test_queuedCommandsRun(self):
        """
        The whole file is sent, then the 64 C{MKD}s the queue holds run,
        the rest dropped in one log line; none ran (the C{QUIT} alone was
        kept).
        """
        server, root, data = sentAndLeft(
            self, b"RETR big\r\n" + b"".join(
                b"MKD d%03d\r\n" % (i,) for i in range(200)) + b"QUIT\r\n",
            self.workers, announced=True)
        server.waitForLog("the rest dropped")
        self.assertEqual(len(readToEnd(data)), SIZE)
        server.waitForLog("logout from")
        self.assertEqual(sorted(os.listdir(root)),
                         ["big"] + ["d%03d" % (i,) for i in range(64)])

    def test_workers(self):
        """
        The same under C{--workers 2}.
        """
        self.workers = 2
        self.test_queuedCommandsRun()


class UnendedQuitTests(unittest.TestCase):
    """
    C{RETR big}, C{MKD d}, and C{QUIT} without its line end, then a
    hang-up: no C{QUIT} came (RFC 959 ends each command with CRLF; vsftpd
    and pyftpdlib drop a line left unfinished at the end), so the
    download is cut as when a client leaves without one.
    """

    timeout = 120

    def test_downloadCut(self):
        """
        The download is cut (C{426}), the C{MKD} never runs.
        """
        server, root, data = sentAndLeft(
            self, b"RETR big\r\nMKD d\r\nQUIT", None, announced=True)
        log = server.waitForLog("logout from")
        self.assertLess(len(readToEnd(data)), SIZE)
        self.assertRegex(log, re.escape("'/big': 426, "))
        self.assertEqual(os.listdir(root), ["big"])


class QuitUnreadTests(Certificates, unittest.TestCase):
    """
    C{STOR}, half its data, 200 C{PWD}s and C{QUIT}, a hang-up, the rest
    of the data.
    """

    timeout = 120
    workers = None
    tls = False

    def test_uploadStored(self):
        """
        The upload is stored whole (C{226}); no C{PWD} ran.
        """
        self.makeCertificates()
        root = scratchDirectory(self)
        server = startServing(
            self, ["--root", root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.both], self.workers)
        client, data = loggedIn(self, server, self.tls)
        self.assertTrue(client.command("STOR up.bin").startswith(b"150"))
        data.sendall(b"u" * 100000)
        client.sock.sendall(b"PWD\r\n" * 200 + b"QUIT\r\n")
        client.close()
        server.waitForLog("hung up with")
        data.sendall(b"p" * 100000)
        data.close()
        log = server.waitForLog("logout from")
        self.assertRegex(log, re.escape("path '/up.bin': 226, 200000 bytes"))
        with open(os.path.join(root, "up.bin"), "rb") as f:
            self.assertEqual(f.read(), b"u" * 100000 + b"p" * 100000)

    def test_workers(self):
        """
        The same under C{--workers 2}.
        """
        self.workers = 2
        self.test_uploadStored()

    def test_tls(self):
        """
        The same on a control connection under C{AUTH TLS}: what is left
        is read through the TLS layer.
        """
        self.tls = True
        self.test_uploadStored()
