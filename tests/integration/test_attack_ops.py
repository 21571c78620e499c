"""
Attacks on the operator's tools: the metrics endpoint fed pipelined
requests whose answers are never read, C{python -m ftpkit.who} reading an
endpoint that is not ftpkit's (no terminal control written), and a
C{PROMETHEUS_MULTIPROC_DIR} another user may write (not used).
"""

import http.server
import io
import json
import os
import socket
import threading
import time
import urllib.request

from twisted.internet import reactor, threads
from twisted.trial import unittest

from ftpkit.deploy.opsservice import metricsFactory
from ftpkit.ops import httpguard, metricfiles, who
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, startServer

try:
    import prometheus_client
except ImportError:
    prometheus_client = None


class PipelinedScrapesTests(unittest.TestCase):
    """
    The metrics endpoint and a client that pipelines requests and reads
    none of the answers.
    """

    timeout = 60

    def setUp(self):
        self.answered = 0
        records = [{"session": n, "peer": "192.0.2.1", "user": "u" * 40}
                   for n in range(2000)]

        def sessions():
            self.answered += 1
            return records
        self.port = reactor.listenTCP(
            0, metricsFactory(lambda: None, sessions, frozenset()),
            interface="127.0.0.1")
        self.addCleanup(self.port.stopListening)

    async def test_answersBounded(self):
        """
        Of 2,000 requests sent at once, the server answers those its
        socket buffers take, and then a few, not every one it read.
        """
        request = b"GET /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

        def flood(port):
            client = socket.socket()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(("127.0.0.1", port))
            try:
                client.sendall(request * 2000)
                # Deliberate: an upper bound has no event to wait for;
                # the server gets two seconds to answer more than it may.
                time.sleep(2)
            finally:
                client.close()
        await threads.deferToThread(flood, self.port.getHost().port)
        self.assertLess(self.answered, 200)


class UnreadScrapesTests(unittest.TestCase):
    """
    A real server's metrics endpoint held by clients that pipeline
    scrapes and read none of the answers (a stuck or hostile scraper)
    still answers another scrape, and its FTP sessions are served: the
    answers wait in buffers, nothing waits for them.
    """

    timeout = 120

    def test_othersServed(self):
        """
        With all but one of the connections an address may hold sending
        500 scrapes each and reading none, a scrape from that address is
        answered whole, and an FTP client logs in and lists.
        """
        server, _ = startServer(self, metrics=True)
        request = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        for _ in range(httpguard.PER_ADDRESS - 1):
            client = socket.socket()
            self.addCleanup(client.close)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            client.connect(("127.0.0.1", server.metricsPort))
            client.sendall(request * 500)
        with urllib.request.urlopen(server.metricsURL(),
                                    timeout=30) as response:
            self.assertIn(b"ftpkit_sessions", response.read())
        ftp = server.login()
        self.assertEqual(ftp.nlst(), [])
        ftp.quit()
        self.assertTrue(server.running())


class _Squatter(http.server.BaseHTTPRequestHandler):
    """
    An endpoint that is not ftpkit's, answering with L{HOSTILE}.
    """

    def do_GET(self):
        body = json.dumps(HOSTILE).encode("ascii")
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HOSTILE = [{
    "session": 1, "peer": "\x1b]2;owned\x07\x1b[2J10.0.0.1",
    "user": "u\x1b[8m", "anonymous": False, "client": "\x9b31m",
    "login_time": "\x1b[31m\u202e2026", "transfer": None}]
"""Session records holding terminal controls in every text field."""


def _squatterURL(testCase):
    """
    Serve L{_Squatter} on a loopback port for the rest of C{testCase}.

    @return: the URL of its C{/sessions}.
    """
    server = http.server.HTTPServer(("127.0.0.1", 0), _Squatter)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    testCase.addCleanup(thread.join)
    testCase.addCleanup(server.server_close)
    testCase.addCleanup(server.shutdown)
    return f"http://127.0.0.1:{server.server_port}/sessions"


class WhoTerminalTests(unittest.TestCase):
    """
    C{python -m ftpkit.who} writes no terminal control an endpoint sent.
    """

    def test_hostileEndpoint(self):
        """
        Every column of the table is escaped: no ESC, BEL, CSI or
        bidirectional mark reaches the terminal (the address and the
        login time went through as they came).
        """
        url = _squatterURL(self)
        out, err = io.StringIO(), io.StringIO()
        self.assertEqual(who.main([url], out=out, err=err), 0)
        table = out.getvalue()
        for control in ("\x1b", "\x07", "\x9b", "\u202e"):
            self.assertNotIn(control, table)
        self.assertIn("\\u001b]2;owned\\u0007", table)
        self.assertIn("\\u001b[31m\\u202e2026", table)

    def test_longAnswer(self):
        """
        An answer longer than L{who.ANSWER_LIMIT} is one error line, and
        exit status 1: the whole of it was read into memory, however
        long.
        """
        body = json.dumps(HOSTILE).encode("ascii")
        kept = vars(who).get("ANSWER_LIMIT")
        who.ANSWER_LIMIT = len(body) - 1
        self.addCleanup(setattr, who, "ANSWER_LIMIT", kept)
        url = _squatterURL(self)
        out, err = io.StringIO(), io.StringIO()
        self.assertEqual(who.main([url], out=out, err=err), 1)
        self.assertEqual(out.getvalue(), "")
        self.assertIn(f"an answer over {len(body) - 1} bytes", err.getvalue())


class MetricsDirectoryTests(unittest.TestCase):
    """
    A C{PROMETHEUS_MULTIPROC_DIR} of the environment is used only when it
    is a directory this user alone may write.
    """

    def setUp(self):
        if prometheus_client is None:
            raise unittest.SkipTest("prometheus-client is not installed")

    def start(self, directory, *options):
        """
        Start a server with C{directory} as its environment's
        C{PROMETHEUS_MULTIPROC_DIR}, and scrape it once.

        @return: the server.
        """
        server = ServerProcess(self, [
            *options, "--auth", "anonymous", "--root",
            scratchDirectory(self)],
            env={"PROMETHEUS_MULTIPROC_DIR": directory}, metrics=True)
        server.waitForGreeting()
        server.login().quit()
        url = f"http://127.0.0.1:{server.metricsPort}/metrics"
        with urllib.request.urlopen(url, timeout=30) as response:
            self.assertIn(b"ftpkit_sessions_started_total", response.read())
        return server

    def test_othersDirectory(self):
        """
        Under C{--workers}, a directory that other users may write gets
        none of the server's files (its processes wrote their metrics and
        session snapshots there, following links), and the server says
        why.
        """
        directory = os.path.abspath(self.mktemp())
        os.mkdir(directory)
        os.chmod(directory, 0o777)
        server = self.start(directory, "--workers", "2")
        self.assertEqual(os.listdir(directory), [])
        server.waitForLog("PROMETHEUS_MULTIPROC_DIR=")
        self.assertIn("other users may write in it (mode 0777)", server.log())

    def test_missingDirectory(self):
        """
        One process given a directory that does not exist serves its
        metrics (every scrape was C{500}, with a traceback logged).
        """
        server = self.start(os.path.abspath(self.mktemp()))
        self.assertIn("No such file or directory", server.log())
        self.assertNotIn("Traceback", server.log())

    def test_problems(self):
        """
        L{metricfiles.directoryProblem} takes only a directory of this
        user that its group and others may not write.
        """
        directory = os.path.abspath(self.mktemp())
        os.mkdir(directory, 0o700)
        os.chmod(directory, 0o755)
        self.assertIsNone(metricfiles.directoryProblem(directory))
        self.assertIn("belongs to user", metricfiles.directoryProblem(
            directory, uid=os.geteuid() + 1))
        os.chmod(directory, 0o1775)
        self.assertEqual(metricfiles.directoryProblem(directory),
                         "other users may write in it (mode 1775)")
        path = os.path.join(directory, "file")
        open(path, "w").close()
        self.assertEqual(metricfiles.directoryProblem(path),
                         "not a directory")
