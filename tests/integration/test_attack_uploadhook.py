"""
Attacks through the C{--on-upload} command: names that a shell, C{printf}
or an option parser would read reach it in its environment only, as the
bytes the client sent; it gets none of the variables naming the server's
run directories; and one client's many uploads cannot keep other
clients' commands waiting (they run in turn by client).
"""

import io
import os
import sys
import textwrap
import urllib.request

from twisted.internet import error
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.control.uploadhook import UploadCommand
from ftpkit.ops import events
from ftpkit.ops.observers import ObserverSubscription
from tests.integration.test_observers import _Spawner
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, startServer

try:
    import prometheus_client
except ImportError:
    prometheus_client = None


NAMES_HOOK = textwrap.dedent("""
    import os, sys
    with open(sys.argv[1], "ab") as f:
        f.write(os.environb[b"FTPKIT_PATH"].hex().encode() + b" "
                + repr(sys.argv[2:]).encode() + b"\\n")
""")
"""An C{--on-upload} program writing the path it was given, in
hexadecimal, and its arguments after the output file's."""


HOSTILE = [
    b"$(touch pwned)", b"`id`", b"a; rm -rf x", b"'quoted' \"twice\"",
    b"x|y&z>w", b"-rf", b"--help", b"*", b"sp ace\ttab", b"\xff\xfe",
    b"\x1b[31m", b"%s%n{path}", b"\xe2\x80\xaetxt.exe",
]
"""Names a shell, C{printf} or a program's option parser would read."""


class UploadCommandNamesTests(unittest.TestCase):
    """
    A name reaches the C{--on-upload} program in its environment, as the
    bytes the client sent, and never among its arguments.
    """

    timeout = 120

    def uploadAll(self, *options):
        script = os.path.abspath(self.mktemp())
        with open(script, "w") as f:
            f.write(NAMES_HOOK)
        out = os.path.abspath(self.mktemp())
        server, root = startServer(
            self, "--on-upload", f"{sys.executable} {script} {out} fixed",
            *options)
        client = RawClient(server.port)
        self.addCleanup(client.close)
        client.login()
        for name in HOSTILE:
            first, _, last = client.transfer(b"STOR " + name, b"data")
            self.assertTrue(last.startswith(b"226"), (name, first, last))

        def ran():
            if not os.path.exists(out):
                return None
            with open(out, "rb") as f:
                lines = f.read().splitlines()
            return lines if len(lines) >= len(HOSTILE) else None

        lines = server.waitFor(ran, "a run of the command per upload")
        self.assertEqual(
            sorted(lines),
            sorted((b"/" + name).hex().encode() + b" ['fixed']"
                   for name in HOSTILE))
        self.assertFalse(os.path.exists(os.path.join(root, "pwned")))
        self.assertEqual(sorted(os.listdir(root)),
                         sorted(os.fsdecode(name) for name in HOSTILE))

    def test_oneProcess(self):
        self.uploadAll()

    def test_workers(self):
        self.uploadAll("--workers", "2")


ENVIRONMENT_HOOK = """
import os, sys
import prometheus_client
prometheus_client.Counter("hook_runs", "runs of the command").inc()
with open(sys.argv[1] + ".new", "w") as f:
    f.write(repr(sorted(name for name in os.environ
                        if name in ("PROMETHEUS_MULTIPROC_DIR",
                                    "FTPKIT_QUOTA_LEDGERS"))))
os.rename(sys.argv[1] + ".new", sys.argv[1])
"""
"""An upload command counting its runs with C{prometheus_client}, and
writing which of the server's private variables it got to its argument."""


class UploadCommandTests(unittest.TestCase):
    """
    The C{--on-upload} command does not get the variables naming the
    server's run directories.
    """

    def setUp(self):
        if prometheus_client is None:
            raise unittest.SkipTest("prometheus-client is not installed")

    def test_privateVariables(self):
        """
        Under C{--workers 2} with C{--metrics}, a command using
        C{prometheus_client} gets neither C{PROMETHEUS_MULTIPROC_DIR} nor
        C{FTPKIT_QUOTA_LEDGERS}, and its series are not the server's.
        """
        hook = os.path.abspath(self.mktemp())
        with open(hook, "w") as f:
            f.write(ENVIRONMENT_HOOK)
        seen = os.path.abspath(self.mktemp())
        server = ServerProcess(self, [
            "--workers", "2", "--auth", "anonymous", "--anonymous-write",
            "--root", scratchDirectory(self),
            "--on-upload", f"{sys.executable} {hook} {seen}"],
            metrics=True)
        server.waitForGreeting()
        ftp = server.login()
        ftp.storbinary("STOR a.txt", io.BytesIO(b"x"))
        ftp.quit()
        server.waitFor(lambda: os.path.exists(seen), "the upload command")
        with open(seen) as f:
            self.assertEqual(f.read(), "[]")
        url = f"http://127.0.0.1:{server.metricsPort}/metrics"
        with urllib.request.urlopen(url, timeout=30) as response:
            self.assertNotIn(b"hook_runs", response.read())


def upload(peer, path):
    """
    @param peer: the client's address.
    @param path: the file's path.
    @return: the L{events.Event} of a completed C{STOR}.
    """
    return events.Event(events.TRANSFER, peer, user="alice", command="STOR",
                        code=226, path=path, bytes=0)


class HookTurnsTests(unittest.TestCase):
    """
    The uploads' commands of C{--on-upload} run in turn by client, not
    first come, first served.
    """

    def setUp(self):
        self.reactor = _Spawner()
        self.hub = events.EventHub()
        self.hook = UploadCommand(["/bin/true"], "/srv/ftp", 1, 60.0,
                                  reactor=self.reactor)
        self.subscription = ObserverSubscription(self.hook)
        self.subscription.subscribeTo(self.hub)

    def runAll(self):
        """
        End each command as it is started, until none waits.

        @return: the paths of the uploads, in the order their commands
            ran.
        """
        ended = 0
        while ended < len(self.reactor.runs):
            run, _ = self.reactor.runs[ended]
            ended += 1
            run.processEnded(Failure(error.ProcessDone(0)))
        self.assertEqual(self.subscription.pending, 0)
        return [path for _, path in self.reactor.runs]

    def test_floodDoesNotHoldOthers(self):
        """
        A client's 500 uploads, then another client's one: the other's
        command runs second, after the one command already running; it
        ran 501st.
        """
        flood = ["/f/%03d" % (n,) for n in range(500)]
        for path in flood:
            self.hub.publish(upload("192.0.2.1", path))
        self.hub.publish(upload("198.51.100.7", "/mine.pdf"))
        ran = self.runAll()
        self.assertEqual(ran[:2], ["/f/000", "/mine.pdf"])
        self.assertEqual([path for path in ran if path != "/mine.pdf"],
                         flood)

    def test_inTurn(self):
        """
        Clients with uploads waiting have their commands run one each in
        turn, each client's in the order its uploads came.
        """
        for n in range(3):
            self.hub.publish(upload("192.0.2.1", "/a%d" % (n,)))
        for n in range(3):
            self.hub.publish(upload("192.0.2.2", "/b%d" % (n,)))
        self.assertEqual(self.runAll(),
                         ["/a0", "/b0", "/a1", "/b1", "/a2", "/b2"])

    def test_ipv6Network(self):
        """
        An IPv6 client is its C{/64}: uploads from many of its addresses
        take one turn, as from one address; an IPv4 client reaching an
        IPv6 listener is its IPv4 address.
        """
        for n in range(4):
            self.hub.publish(upload("2001:db8::%x" % (n + 1,), "/v%d" % (n,)))
        self.hub.publish(upload("::ffff:192.0.2.9", "/m0"))
        self.hub.publish(upload("192.0.2.9", "/m1"))
        self.hub.publish(upload("2001:db8:0:1::1", "/w0"))
        self.assertEqual(self.runAll(),
                         ["/v0", "/m0", "/w0", "/v1", "/m1", "/v2", "/v3"])
