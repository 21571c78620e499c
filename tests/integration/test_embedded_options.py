"""
A server built by hand, as C{docs/embedding.rst} and
C{examples/embedded_server.py} build it (a portal, a L{ServerConfig}, an
L{FTPFactory}, an L{FTPService}), honours the settings C{twistd ftpkit}
honours that are not the process's: C{umask}, C{xferlog}, C{metrics},
C{onUpload} and C{logFormat}. Each was read only by
C{ftpkit.deploy}, and a hand-built server ignored it.
"""

import io
import json
import os
import stat
import sys
import urllib.request

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import defer, task
from twisted.internet.error import CannotListenError
from twisted.internet.threads import deferToThread
from twisted.logger import (
    LogLevel,
    formatEventAsClassicLogText,
    globalLogPublisher,
)
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy.sweepservice import SweepUploads
from ftpkit.embedding import FTPService, logObserver
from ftpkit.ops import events
from ftpkit.ops.observers import ObserverSubscription
from ftpkit.realms import AnyOfCheckers, FilesystemRealm
from ftpkit.server import FTPFactory
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import freePort

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    text_string_to_metric_families = None


class HandBuiltServerMixin:
    """
    Start a server built as the embedding page builds one, serving a
    scratch directory to alice on an ephemeral loopback port.
    """

    def startServer(self, listen=("tcp:0:interface=127.0.0.1",),
                    checkers=None, realm=None, **settings):
        """
        @param listen: the L{FTPService}'s C{listen}.
        @param checkers: the portal's checkers; by default one knowing
            alice, C{bytes} as Twisted's examples store them.
        @param realm: the portal's realm; by default a L{FilesystemRealm}
            of a scratch directory.
        @param settings: L{ServerConfig} fields.
        @return: C{(root, port, service)}.
        """
        root = scratchDirectory(self)
        if checkers is None:
            checker = InMemoryUsernamePasswordDatabaseDontUse()
            checker.addUser(b"alice", b"secret")
            checkers = [checker]
        portal = Portal(realm or FilesystemRealm(root), checkers)
        factory = FTPFactory(portal, ServerConfig(**settings))
        ftp = FTPService(factory, listen)
        # Before the start: one that raised (a port taken) stops too.
        self.addCleanup(ftp.stopService)
        ftp.startService()
        return root, ftp.ports()[0].getHost().port, ftp

    def upload(self, port, name=b"a.txt", data=b"embedded"):
        """
        Log in as alice and upload C{data} (in a thread).

        @return: a Deferred firing once the client quit.
        """

        def client():
            ftp = ftplibLogin(self, port)
            ftp.storbinary("STOR " + name.decode(), io.BytesIO(data))
            ftp.mkd("d")
            ftp.quit()

        return deferToThread(client)

    def waitFor(self, condition):
        """
        @param condition: a callable returning whether to stop waiting.
        @return: a Deferred firing once it is true (polled).
        """

        def poll():
            if condition():
                loop.stop()

        loop = task.LoopingCall(poll)
        return loop.start(0.05)


class ListenTests(HandBuiltServerMixin, unittest.TestCase):
    """
    L{FTPService}'s C{listen}.
    """

    @defer.inlineCallbacks
    def test_oneDescription(self):
        """
        One endpoint description alone, not in a list, is one listener:
        it was read a character at a time (C{ValueError: Unknown endpoint
        type: 't'}).
        """
        root, port, ftp = self.startServer(listen="tcp:0:interface=127.0.0.1")
        self.assertEqual(len(ftp.ports()), 1)
        yield self.upload(port)
        with open(os.path.join(root, "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"embedded")


    def test_spareBeforeSweep(self):
        """
        Started with C{startService} alone (as
        C{examples/embedded_server.py} starts it), each listener holds
        its spare descriptor before the sweep at start's thread begins:
        a listener started after the sweep took its spare once the
        thread could hold a descriptor for a moment, and the number
        below the spare, free again, left it useless when descriptors
        ran out (L{ftpkit.deploy.listening.ControlListening}).
        """
        held = []
        started = SweepUploads.startService

        def startSweep(sweep):
            held.extend(listening._spare.fd
                        for listening in sweep.parent._listening)
            started(sweep)
        self.patch(SweepUploads, "startService", startSweep)
        self.startServer(listen=["tcp:0:interface=127.0.0.1",
                                             "tcp:0:interface=127.0.0.1"])
        self.assertEqual(len(held), 2)
        self.assertNotIn(None, held)


class CheckerTypesTests(HandBuiltServerMixin, unittest.TestCase):
    """
    Twisted's in-memory checker in a hand-built portal, not wrapped as
    C{twistd ftpkit} wraps its checkers, whether it stores C{str} or
    C{bytes}.
    """

    def checker(self, name, password):
        """
        @return: an in-memory checker knowing C{name}.
        """
        checker = InMemoryUsernamePasswordDatabaseDontUse()
        checker.addUser(name, password)
        return checker

    def logins(self, port, *users):
        """
        @param users: user names, each logging in with C{secret}.
        @return: a Deferred firing with the reply to each one's C{PASS}.
        """

        def client():
            replies = []
            for user in users:
                ftp = ftplibLogin(self, port, user=user)
                replies.append(ftp.lastresp)
                ftp.quit()
            return replies

        return deferToThread(client)

    @defer.inlineCallbacks
    def test_text(self):
        """
        A user of the checker in its usual form, C{addUser("alice",
        "secret")}, logs in, and the realm makes the home named by the
        C{str} it is given: the server's C{bytes} credentials were no
        user of it, and every login got C{530}.
        """
        homes = scratchDirectory(self)
        root, port, ftp = self.startServer(
            checkers=[self.checker("alice", "secret")],
            realm=FilesystemRealm(homes, homePerUser=True))
        self.assertEqual((yield self.logins(port, "alice")), ["230"])
        self.assertEqual(os.listdir(homes), ["alice"])

    @defer.inlineCallbacks
    def test_both(self):
        """
        Two checkers of passwords in one portal need
        L{ftpkit.realms.AnyOfCheckers} (a portal keeps one checker per
        credentials interface); with it, the users of a C{bytes} and of a
        C{str} checker log in.
        """
        either = AnyOfCheckers([self.checker(b"bob", b"secret"),
                                self.checker("alice", "secret")])
        root, port, ftp = self.startServer(checkers=[either])
        self.assertEqual((yield self.logins(port, "bob", "alice")),
                         ["230", "230"])


class UmaskTests(HandBuiltServerMixin, unittest.TestCase):
    """
    C{ServerConfig.umask} (C{--umask}).
    """

    @defer.inlineCallbacks
    def test_uploadMode(self):
        """
        A file uploaded and a directory made get the config's mask, not
        the one the program started with.
        """
        self.addCleanup(os.umask, os.umask(0o022))
        root, port, _ = self.startServer(umask=0o027)
        yield self.upload(port)
        modes = [stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
                 for name in ("a.txt", "d")]
        self.assertEqual(modes, [0o640, 0o750])


class XferlogTests(HandBuiltServerMixin, unittest.TestCase):
    """
    C{ServerConfig.xferlog} (C{--xferlog}).
    """

    @defer.inlineCallbacks
    def test_line(self):
        """
        An upload writes its transfer log line.
        """
        path = os.path.abspath(self.mktemp())
        _, port, _ = self.startServer(xferlog=path)
        yield self.upload(port)
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0].split()[7:], [
            "8", "/a.txt", "b", "_", "i", "r", "alice", "ftp", "0", "alice",
            "c"])


class MetricsTests(HandBuiltServerMixin, unittest.TestCase):
    """
    C{ServerConfig.metrics} (C{--metrics}).
    """

    def setUp(self):
        if text_string_to_metric_families is None:
            raise unittest.SkipTest("prometheus-client not installed")

    def startWithMetrics(self, attempts=5):
        """
        Start a server with C{metrics} on a port that was free a moment
        ago, picked again when another program took it in the meantime
        (as L{tests.serverprocess.ServerProcess} does).

        @param attempts: how many ports to try.
        @return: C{(port, metricsPort)}.
        """
        for _attempt in range(attempts):
            metricsPort = freePort()
            try:
                _, port, _ = self.startServer(
                    metrics=f"tcp:{metricsPort}:interface=127.0.0.1")
            except CannotListenError:
                continue
            return port, metricsPort
        self.fail(f"no free metrics port in {attempts} attempts")

    def scrape(self, port):
        """
        @return: a Deferred firing with the C{ftpkit_logins_total}
            sample of successful logins at C{/metrics} on C{port}.
        """

        def get():
            url = f"http://127.0.0.1:{port}/metrics"
            with urllib.request.urlopen(url, timeout=30) as response:
                text = response.read().decode()
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if (sample.name == "ftpkit_logins_total"
                            and sample.labels == {"result": "success"}):
                        return sample.value
            return 0.0

        return deferToThread(get)

    @defer.inlineCallbacks
    def test_served(self):
        """
        The service serves C{/metrics}, where the factory counts a login.
        """
        port, metricsPort = self.startWithMetrics()
        before = yield self.scrape(metricsPort)
        yield self.upload(port)
        after = yield self.scrape(metricsPort)
        self.assertEqual(after - before, 1)


class OnUploadTests(HandBuiltServerMixin, unittest.TestCase):
    """
    C{ServerConfig.onUpload} (C{--on-upload}).
    """

    @defer.inlineCallbacks
    def test_hookRuns(self):
        """
        The command runs after an upload, told its path, its user and
        the directory served.
        """
        out = os.path.abspath(self.mktemp())
        script = ("import os, sys\n"
                  "with open(sys.argv[1], 'w') as f:\n"
                  "    f.write(' '.join(os.environ[name] for name in "
                  "('FTPKIT_PATH', 'FTPKIT_USER', 'FTPKIT_ROOT')))\n")
        root, port, ftp = self.startServer(
            onUpload=(sys.executable, "-c", script, out))
        hooks = [subscriber
                 for subscriber in ftp.factory.events._subscribers[
                     events.TRANSFER]
                 if isinstance(subscriber, ObserverSubscription)]
        yield self.upload(port)
        yield self.waitFor(lambda: os.path.exists(out) and not any(
            hook.pending for hook in hooks))
        with open(out) as f:
            self.assertEqual(f.read().split(), ["/a.txt", "alice", root])


class LogFormatTests(HandBuiltServerMixin, unittest.TestCase):
    """
    C{ServerConfig.logFormat} (C{--log-format}), through
    L{ftpkit.embedding.logObserver}.
    """

    @defer.inlineCallbacks
    def test_json(self):
        """
        With C{json}, each of the server's log events is a JSON object on
        a line of its own, as C{twistd ftpkit --log-format json} writes.
        """
        written = io.StringIO()
        observer = logObserver(written, ServerConfig(logFormat="json"))
        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        _, port, _ = self.startServer(logFormat="json")
        yield self.upload(port)
        records = [json.loads(line)
                   for line in written.getvalue().splitlines()]
        logins = [record for record in records
                  if record.get("ftpkit_event") == events.LOGIN]
        self.assertEqual([(r["user"], r["log_level"]["name"])
                          for r in logins], [("alice", LogLevel.info.name)])

    def test_text(self):
        """
        With C{text}, the default, the lines are C{twistd}'s.
        """
        written = io.StringIO()
        observer = logObserver(written, ServerConfig())
        event = {"log_format": "hello {who}", "who": "world",
                 "log_namespace": "ftpkit.test", "log_level": LogLevel.info,
                 "log_time": 0.0}
        observer(dict(event))
        self.assertEqual(written.getvalue(),
                         formatEventAsClassicLogText(event))
