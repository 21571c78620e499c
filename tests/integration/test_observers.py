"""
Tests for L{ftpkit.ops.observers} (the L{IFTPEventObserver} interface for
plugin authors) and L{ftpkit.control.uploadhook} (C{--on-upload}).
"""

import io
import os
import sys
import textwrap
from types import SimpleNamespace

from twisted.internet import defer, error
from twisted.internet.task import Clock
from twisted.logger import formatEvent
from twisted.python import usage
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from ftpkit.config import ServerConfig
from ftpkit.control.serverhub import configuredHub
from ftpkit.control.uploadhook import UploadCommand, parseCommand
from ftpkit.control.vhosts import VirtualHost
from ftpkit.deploy.opsoptions import makeHub
from ftpkit.deploy.tap import Options
from ftpkit.interfaces import IFTPEventObserver
from ftpkit.ops import events
from ftpkit.ops.drain import finishLeft
from ftpkit.ops.observers import (
    MAX_PENDING,
    ObserverSubscription,
    findObservers,
    methodFor,
)
from tests.clockedreactor import ClockedReactor
from tests.logevents import captureLogs
from tests.polling import waitFor
from tests.serverprocess import startServer


def event(kind, **fields):
    """
    @return: an L{events.Event} from C{10.0.0.1} by C{alice}.
    """
    return events.Event(kind, "10.0.0.1", user="alice", **fields)


@implementer(IFTPEventObserver)
class Recorder:
    """
    Records each call; answers with C{self.answer()}.
    """

    def __init__(self, answer=lambda: None):
        self.calls = []
        self.answer = answer

    def _record(name):
        def method(self, event):
            self.calls.append((name, event))
            return self.answer()
        return method

    loggedIn = _record("loggedIn")
    loggedOut = _record("loggedOut")
    uploadFinished = _record("uploadFinished")
    downloadFinished = _record("downloadFinished")
    deleted = _record("deleted")
    renamed = _record("renamed")
    madeDirectory = _record("madeDirectory")
    removedDirectory = _record("removedDirectory")
    del _record


class MethodTests(unittest.TestCase):
    """
    L{methodFor} picks the observer method of an event.
    """

    def test_methods(self):
        self.assertEqual(methodFor(event(events.LOGIN)), "loggedIn")
        self.assertEqual(methodFor(event(events.LOGOUT)), "loggedOut")
        self.assertEqual(methodFor(event(events.TRANSFER, command="STOU",
                                         code=226)), "uploadFinished")
        self.assertEqual(methodFor(event(events.TRANSFER, command="RETR",
                                         code=226)), "downloadFinished")
        self.assertIsNone(methodFor(event(events.TRANSFER, command="STOR",
                                          code=426)))
        for command, name in [("DELE", "deleted"), ("RNTO", "renamed"),
                              ("MKD", "madeDirectory"),
                              ("RMD", "removedDirectory")]:
            self.assertEqual(methodFor(event(events.CHANGE,
                                             command=command)), name)
        self.assertIsNone(methodFor(event(events.CHANGE,
                                          command="SITE CHMOD")))
        self.assertIsNone(methodFor(event(events.REFUSAL)))


class SubscriptionTests(unittest.TestCase):
    """
    L{ObserverSubscription} never waits for an observer, and bounds what a
    slow one may have unfinished.
    """

    def test_verify(self):
        verifyObject(IFTPEventObserver, Recorder())

    def test_uploadCommandVerifies(self):
        """
        C{--on-upload}'s observer provides the whole interface, its other
        events answered by L{IgnoringObserver} with nothing.
        """
        command = UploadCommand(["true"], "/", 1, 5, reactor=Clock())
        verifyObject(IFTPEventObserver, command)
        for name in IFTPEventObserver.names():
            if name != "uploadFinished":
                self.assertIsNone(getattr(command, name)(None))

    def test_slowObserverBounded(self):
        """
        Calls whose Deferreds have not fired do not hold up the hub;
        past the bound, events skip the observer (logged), until it
        catches up.
        """
        logged = captureLogs(self)
        waiting = []

        def slow():
            waiting.append(defer.Deferred())
            return waiting[-1]

        observer = Recorder(slow)
        hub = events.EventHub()
        subscription = ObserverSubscription(observer, maxPending=2)
        subscription.subscribeTo(hub)
        for _ in range(4):
            hub.publish(event(events.LOGIN))
        self.assertEqual(len(observer.calls), 2)
        self.assertEqual(subscription.skipped, 2)
        for each in waiting:
            each.callback(None)
        self.assertEqual(subscription.pending, 0)
        hub.publish(event(events.LOGIN))
        self.assertEqual(len(observer.calls), 3)
        texts = [e.get("log_format", "") for e in logged]
        self.assertEqual(len([text for text in texts if "skipping" in text]),
                         1)
        self.assertEqual(len([text for text in texts if "caught up" in text]),
                         1)

    def stopWith(self, answer):
        """
        Publish one login to an observer answering C{answer()} on a hub
        of L{configuredHub}, and start a server's stop (what a drain
        waits for once its sessions are closed) with a grace of 30 s.

        @return: C{(the stop's Deferred, its Clock)}.
        """
        clock = Clock()
        hub = configuredHub(ServerConfig(), observers=[Recorder(answer)],
                            reactor=clock)
        hub.publish(event(events.LOGIN))
        return finishLeft(SimpleNamespace(events=hub), clock, 30), clock

    def test_stopWaits(self):
        """
        A server's stop waits for the observer's calls still running
        (before, it ended under them: a notice of the last upload never
        sent), and leaves no timer behind.
        """
        waiting = defer.Deferred()
        stopped, clock = self.stopWith(lambda: waiting)
        clock.advance(29)
        self.assertNoResult(stopped)
        waiting.callback(None)
        self.successResultOf(stopped)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_stopBounded(self):
        """
        It waits for a call that never ends only within its grace.
        """
        stopped, clock = self.stopWith(defer.Deferred)
        clock.advance(29)
        self.assertNoResult(stopped)
        clock.advance(1)
        self.successResultOf(stopped)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_failureLogged(self):
        """
        An observer's failure (raised or as a failed Deferred) is logged,
        in one line (C{tests.integration.test_plugin37} has what it says).
        """
        def fail():
            raise RuntimeError("observer broke")

        logged = captureLogs(self)
        hub = events.EventHub()
        ObserverSubscription(Recorder(fail)).subscribeTo(hub)
        ObserverSubscription(Recorder(
            lambda: defer.fail(RuntimeError("observer broke")))).subscribeTo(hub)
        hub.publish(event(events.LOGIN))
        said = [formatEvent(each) for each in logged
                if "observer broke" in formatEvent(each)]
        self.assertEqual(len(said), 2, said)

    def test_realmFound(self):
        """
        A realm that provides L{IFTPEventObserver} is registered.
        """
        realm = Recorder()
        self.assertEqual([each.observer for each in
                          findObservers({"realmObject": realm})], [realm])
        self.assertEqual(findObservers({"realmObject": object()}), [])

    def test_realmsHearTheirOwnHosts(self):
        """
        Under C{--vhost}, each realm that is an observer is told of the
        sessions it serves: a C{--vhost}'s realm of those that chose one
        of its names, the default realm of the others (no C{HOST}, a
        name no C{--vhost} has under C{--vhost-fallback}); a realm that
        is no observer is skipped. Before session 47 the default realm
        was told of every host's sessions and a C{--vhost}'s of none.
        """
        default, shared, other = Recorder(), Recorder(), Recorder()
        hosts = (VirtualHost(("b.example",), "peruser", shared),
                 VirtualHost(("c.example",), "dict", object()),
                 VirtualHost(("d.example",), "peruser", shared),
                 VirtualHost(("e.example",), "peruser", other))
        options = {"realmObject": default,
                   "config": ServerConfig(virtualHosts=hosts)}
        hub = configuredHub(ServerConfig(), observers=findObservers(options))
        for host in [None, "b.example", "c.example", "d.example",
                     "e.example", "x.example"]:
            hub.publish(event(events.LOGIN, host=host))
        heard = {name: [each.host for _, each in observer.calls]
                 for name, observer in [("default", default),
                                        ("shared", shared),
                                        ("other", other)]}
        self.assertEqual(heard, {"default": [None, "x.example"],
                                 "shared": ["b.example", "d.example"],
                                 "other": ["e.example"]})


class ParseTests(unittest.TestCase):
    """
    C{--on-upload} takes a command whose program exists.
    """

    def test_split(self):
        argv = parseCommand("true --flag 'a b'")
        self.assertTrue(os.path.isabs(argv[0]))
        self.assertEqual(argv[1:], ("--flag", "a b"))

    def test_usageErrors(self):
        for value, why in [
                ("", "needs a command"),
                ("'unbalanced", "cannot split"),
                ("/nonexistent/prog", "no executable '/nonexistent/prog'")]:
            error = self.assertRaises(
                usage.UsageError, Options().parseOptions,
                ["--on-upload", value])
            self.assertTrue(str(error).startswith("--on-upload: " + why),
                            str(error))

    def test_config(self):
        options = Options()
        options.parseOptions(["--on-upload", "true x"])
        self.assertEqual(options["config"].onUpload[1:], ("x",))


SCRIPT = textwrap.dedent("""
    import os, sys, time
    out = sys.argv[1]
    with open(out, "a") as f:
        f.write("start %s\\n" % os.environ["FTPKIT_PATH"])
    time.sleep(float(sys.argv[2]))
    with open(out, "a") as f:
        f.write("end %s %s %s %s %s %s\\n" % tuple(os.environ[name] for name in
                ["FTPKIT_PATH", "FTPKIT_USER", "FTPKIT_PEER", "FTPKIT_BYTES",
                 "FTPKIT_COMMAND", "FTPKIT_ROOT"]))
    sys.exit(int(sys.argv[3]))
""")


class UploadCommandTests(unittest.TestCase):
    """
    L{UploadCommand} runs its command per upload, a bounded number at
    once, and logs failures and commands that time out.
    """

    timeout = 60

    def setUp(self):
        self.script = os.path.abspath(self.mktemp())
        with open(self.script, "w") as f:
            f.write(SCRIPT)
        self.out = os.path.abspath(self.mktemp())

    def command(self, sleep=0.0, status=0, concurrency=4, timeout=30.0,
                reactor=None):
        return UploadCommand(
            [sys.executable, self.script, self.out, str(sleep), str(status)],
            "/srv/ftp", concurrency, timeout, reactor)

    def upload(self, path):
        return event(events.TRANSFER, command="STOR", code=226, path=path,
                     bytes=12)

    def lines(self):
        with open(self.out) as f:
            return f.read().splitlines()

    @defer.inlineCallbacks
    def test_oneAtATime(self):
        """
        With a concurrency of 1 the commands run one after the other,
        each with the upload in its environment.
        """
        hook = self.command(sleep=0.2, concurrency=1)
        yield defer.gatherResults([hook.uploadFinished(self.upload(path))
                                   for path in ("/a", "/b", "/c")])
        lines = self.lines()
        self.assertEqual([line.split()[0] for line in lines],
                         ["start", "end"] * 3)
        self.assertEqual(lines[1], "end /a alice 10.0.0.1 12 STOR /srv/ftp")

    @defer.inlineCallbacks
    def test_hostRoot(self):
        """
        C{FTPKIT_ROOT} is the directory of the realm that took the
        upload: a C{--vhost}'s for a session that chose it (it was the
        default realm's for every host).
        """
        hook = self.command()
        hook.hostRoots = {"b.example": "/srv/b"}
        for host in ("b.example", None, "x.example"):
            yield hook.uploadFinished(event(
                events.TRANSFER, command="STOR", code=226, path="/f",
                bytes=1, host=host))
        self.assertEqual([line.split()[-1] for line in self.lines()
                          if line.startswith("end")],
                         ["/srv/b", "/srv/ftp", "/srv/ftp"])

    def test_rootOfRealm(self):
        """
        Under C{twistd}, C{FTPKIT_ROOT} is the directory the realm
        serves, as for an embedded factory (the realm's C{root}), and
        each C{--vhost}'s is its realm's: with C{--realm filesystem:DIR}
        it was C{--root}, where no file is.
        """
        served, other, hosted = (os.path.abspath(self.mktemp())
                                 for _ in range(3))
        for directory in (served, other, hosted):
            os.mkdir(directory)
        options = Options()
        options.parseOptions(["--root", other, "--realm",
                              "filesystem:" + served, "--vhost",
                              "b.example=filesystem:" + hosted,
                              "--on-upload", "true"])
        hub = makeHub(options["config"], options)
        [command] = {each.observer for subscribers in
                     hub._subscribers.values() for each in subscribers
                     if isinstance(getattr(each, "observer", None),
                                   UploadCommand)}
        self.assertEqual((command.root, command.hostRoots),
                         (served, {"b.example": hosted}))

    @defer.inlineCallbacks
    def test_failureLogged(self):
        logged = captureLogs(self)
        yield self.command(status=3).uploadFinished(self.upload("/f"))
        [warning] = [e for e in logged
                     if "--on-upload" in e.get("log_format", "")]
        self.assertEqual(warning["path"], "/f")
        self.assertIn("code 3", warning["why"])

    @defer.inlineCallbacks
    def test_timeout(self):
        """
        A command past its time limit is killed, and logged; its time
        runs on a clock advanced once the command has started (a Python
        starting slower than the limit on a loaded machine was killed
        before its first line).
        """
        from twisted.internet import reactor

        logged = captureLogs(self)
        clocked = ClockedReactor(reactor, Clock())
        hook = self.command(sleep=30, timeout=0.5, reactor=clocked)
        finished = hook.uploadFinished(self.upload("/slow"))
        self.assertTrue((yield waitFor(
            lambda: os.path.exists(self.out) and self.lines())))
        clocked.clock.advance(0.5)
        yield finished
        [warning] = [e for e in logged
                     if "--on-upload" in e.get("log_format", "")]
        self.assertEqual(warning["why"], "killed after 0.5 s")
        self.assertEqual(self.lines(), ["start /slow"])


    @defer.inlineCallbacks
    def test_backgroundProcess(self):
        """
        A command that exits leaving a process of its own running (which
        holds its output open) frees its slot, instead of holding it,
        past its time limit, until that process ends: with one slot, the
        next upload's command ran only after it.
        """
        self.timeout = 20
        marker = os.path.abspath(self.mktemp())
        script = ("echo started; sleep 60 & echo $! > " + marker)
        hook = UploadCommand(["/bin/sh", "-c", script], None, 1, 10.0)
        self.addCleanup(self._killBackground, marker)
        # As the server's stop does: the process left running is killed,
        # and no longer watched.
        self.addCleanup(hook.finish, 0)
        logged = captureLogs(self)
        yield hook.uploadFinished(self.upload("/a"))
        yield hook.uploadFinished(self.upload("/b"))
        self.assertEqual([e for e in logged
                          if "--on-upload" in e.get("log_format", "")], [])

    def _killBackground(self, marker):
        with open(marker) as f:
            pid = int(f.read())
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


class _Spawner(Clock):
    """
    A reactor that keeps each process L{UploadCommand} would spawn
    instead of running it.

    @ivar runs: the process protocols, with the event's path.
    """

    def __init__(self):
        Clock.__init__(self)
        self.runs = []

    def spawnProcess(self, processProtocol, executable, args, env):
        self.runs.append((processProtocol, env["FTPKIT_PATH"]))


class UploadBurstTests(unittest.TestCase):
    """
    L{UploadCommand} queues far more uploads than an observer's default
    bound (L{ftpkit.ops.observers.MAX_PENDING}) while its command is slow.
    """

    def test_burstAllRun(self):
        """
        1,500 uploads published while every command still runs all get
        their command, one after the other, none skipped or logged as
        skipped.
        """
        logged = captureLogs(self)
        reactor = _Spawner()
        hook = UploadCommand(["/bin/true"], "/srv/ftp", 1, 60.0,
                             reactor=reactor)
        hub = events.EventHub()
        subscription = ObserverSubscription(hook)
        subscription.subscribeTo(hub)
        paths = ["/in/%04d" % (n,) for n in range(1500)]
        for path in paths:
            hub.publish(event(events.TRANSFER, command="STOR", code=226,
                              path=path, bytes=12))
        self.assertEqual(subscription.skipped, 0)
        ended = 0
        while ended < len(reactor.runs):
            run, _ = reactor.runs[ended]
            ended += 1
            run.processEnded(Failure(error.ProcessDone(0)))
        self.assertEqual([path for _, path in reactor.runs], paths)
        self.assertEqual(subscription.pending, 0)
        self.assertFalse([e for e in logged
                          if "skipping" in e.get("log_format", "")])

    def test_ownBound(self):
        """
        An observer's C{maxPending} attribute is its bound; one given to
        the subscription wins over it.
        """
        hook = UploadCommand(["/bin/true"], None, 1, 60.0,
                             reactor=_Spawner())
        self.assertEqual(ObserverSubscription(hook).maxPending,
                         hook.maxPending)
        self.assertGreater(hook.maxPending, MAX_PENDING)
        self.assertEqual(ObserverSubscription(hook, maxPending=3).maxPending,
                         3)
        self.assertEqual(ObserverSubscription(Recorder()).maxPending,
                         MAX_PENDING)


class OnUploadServerTests(unittest.TestCase):
    """
    A real server runs C{--on-upload} after a completed upload.
    """

    timeout = 60

    def test_upload(self):
        script = os.path.abspath(self.mktemp())
        with open(script, "w") as f:
            f.write(SCRIPT)
        out = os.path.abspath(self.mktemp())
        server, root = startServer(
            self, "--on-upload", f"{sys.executable} {script} {out} 0 0")
        ftp = server.login("alice", "secret")
        ftp.storbinary("STOR up.bin", io.BytesIO(b"u" * 12))
        ftp.quit()

        def ran():
            return os.path.exists(out) and "end" in open(out).read()

        server.waitFor(ran, "the --on-upload command")
        with open(out) as f:
            last = f.read().splitlines()[-1].split()
        self.assertEqual(last[:6], ["end", "/up.bin", "alice", "127.0.0.1",
                                    "12", "STOR"])
        self.assertEqual(last[6], root)


