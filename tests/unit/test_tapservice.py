"""
Tests for L{ftpkit.deploy.tap.makeService}: the service the options
build, its start-up warnings, and C{SIGHUP} ignored while it starts.
"""

import os
import sys

from twisted.application.internet import StreamServerEndpointService
from twisted.internet.epollreactor import EPollReactor
from twisted.logger import globalLogPublisher
from twisted.trial import unittest

from ftpkit.compat.dispatch import LazyDispatch
from ftpkit.config import ServerConfig
from ftpkit.deploy.startupwork import StartupWork
from ftpkit.deploy.startwarnings import warnMappedLeftOut
from ftpkit.deploy.tap import (
    makeService,
)
from tests.scratch import scratchDirectory
from tests.signalstate import keepSignalState
from tests.tapoptions import parse


class MakeServiceTests(unittest.TestCase):
    """
    L{makeService} builds one listening service per C{--listen}.
    """

    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def warnings(self):
        """
        @return: the texts of the warnings logged so far.
        """
        from twisted.logger import LogLevel, formatEvent

        return [formatEvent(e) for e in self.events
                if e.get("log_level") == LogLevel.warn]

    def test_children(self):
        """
        Each C{--listen} gives a child service sharing one factory, built
        with the options' config.
        """
        from ftpkit.control.server import FTPFactory

        options = parse(
            "--listen", "tcp:0:interface=127.0.0.1",
            "--listen", "tcp:0:interface=127.0.0.2",
            "--auth", "anonymous", "--banner", "hi",
        )
        from ftpkit.deploy.service import Listeners

        server = makeService(options)
        [listeners] = [child for child in server
                       if isinstance(child, Listeners)]
        children = list(listeners)
        self.assertEqual(len(children), 2)
        factories = set()
        for child in children:
            self.assertIsInstance(child, StreamServerEndpointService)
            factories.add(child.factory)
        self.assertEqual(len(factories), 1)
        factory = factories.pop()
        self.assertIsInstance(factory, FTPFactory)
        self.assertIs(factory.config, options["config"])
        self.assertIs(factory.portal.realm, options["realmObject"])

    def test_freezesStartupObjects(self):
        """
        Starting the service takes what start-up made out of the garbage
        collector's sight (C{gc.freeze}), and has the reactor handle its
        descriptors with L{ftpkit.compat.dispatch.LazyDispatch} and ask
        how long to wait of L{ftpkit.compat.reactortimeout.leanTimeout}.
        """
        import gc

        self.addCleanup(gc.unfreeze)
        gc.unfreeze()
        server = makeService(parse("--auth", "anonymous"))
        [freezer] = [child for child in server
                     if isinstance(child, StartupWork)]
        freezer.reactor = EPollReactor()
        self.addCleanup(freezer.reactor._poller.close)
        self.addCleanup(freezer.reactor.removeAll)
        freezer.startService()
        self.addCleanup(freezer.stopService)
        self.assertGreater(gc.get_freeze_count(), 0)
        self.assertIsInstance(freezer.reactor.doIteration, LazyDispatch)
        self.assertEqual(freezer.reactor.timeout.__qualname__,
                         "leanTimeout.<locals>.timeout")

    def test_noAuthWarning(self):
        """
        Without C{--auth} the service is built and a warning says that
        nobody can log in.
        """
        makeService(parse())
        self.assertTrue(
            any("nobody can log in" in text for text in self.warnings()),
            self.warnings(),
        )

    def test_passiveCapWarning(self):
        """
        A C{--max-passive-per-ip} over half of C{--passive-ports} is held
        to half, and a warning says so (it was held silently); one within
        half gets none.
        """
        makeService(parse("--auth", "anonymous", "--passive-ports",
                          "30000-30009", "--max-passive-per-ip", "8"))
        self.assertIn(
            "--max-passive-per-ip 8 is more than half of --passive-ports "
            "(10 ports): one client address holds at most 5, so that "
            "others always find a port", self.warnings())
        del self.events[:]
        makeService(parse("--auth", "anonymous", "--passive-ports",
                          "30000-30009", "--max-passive-per-ip", "5"))
        self.assertFalse(
            any("--max-passive-per-ip" in text for text in self.warnings()),
            self.warnings())

    def test_passiveCapWarningWorkers(self):
        """
        Under C{--workers}, the warning's numbers are each worker's part
        of the share, which is what a worker refuses past: it said one
        address held at most half of the range, though each of two
        workers refused it past half of that.
        """
        makeService(parse("--auth", "anonymous", "--passive-ports",
                          "30000-30003", "--max-passive-per-ip", "3",
                          "--workers", "2"))
        self.assertIn(
            "--max-passive-per-ip 3 is more than half of --passive-ports "
            "(4 ports) and is shared among the 2 workers, each counting "
            "its own sessions' listeners: one client address holds at "
            "most 1 in each worker, so that others always find a port",
            self.warnings())

    def test_mappedLeftOutWarning(self):
        """
        An IPv6 network that looks as if it held IPv4 clients (C{::/0})
        in C{--allow-from}, C{--deny-from} or C{--trusted-proxy} is
        warned of: it matches none (C{--deny-from ::/0} denied no IPv4
        client of a dual-stack listener, silently); a mapped network or
        an IPv4 one is not.
        """
        makeService(parse("--auth", "anonymous", "--deny-from", "::/64",
                          "--allow-from", "::/64", "--allow-from",
                          "10.0.0.0/8", "--allow-from",
                          "::ffff:192.0.2.0/120"))
        warnMappedLeftOut(ServerConfig(trustedProxies=("::ffff:0:0/95",
                                                       "::1")))
        said = [text for text in self.warnings()
                if "IPv4 clients are matched as IPv4" in text]
        self.assertEqual([text.split(":")[0] for text in said],
                         ["--allow-from ", "--deny-from ",
                          "--trusted-proxy "], said)
        self.assertTrue(said[1].startswith(
            "--deny-from ::/64: IPv4 clients are matched as IPv4 addresses, "
            "even on a dual-stack listener"), said[1])
        self.assertIn("give 0.0.0.0/0", said[0])
        # Denying 0.0.0.0/0 too would refuse every IPv4 client.
        self.assertNotIn("0.0.0.0/0", said[1])
        self.assertIn("give their IPv4 networks as well to deny them",
                      said[1])

    def test_mappedLeftOutFamilyDenied(self):
        """
        C{--deny-from ::/0}, which denies every IPv6 client and looks as
        if it held IPv4 ones, gets one warning saying both, and no advice
        to add C{0.0.0.0/0}: it got two, the second's advice denying
        every client, which stops the start.
        """
        makeService(parse("--auth", "anonymous", "--deny-from", "::/0"))
        said = [text for text in self.warnings() if "::/0" in text]
        self.assertEqual(said, [
            "--deny-from ::/0: denies every IPv6 address, so every IPv6 "
            "client is refused; IPv4 clients are matched as IPv4 "
            "addresses, even on a dual-stack listener (as "
            "::ffff:a.b.c.d), so none of them is"])

    def test_familyDeniedWarning(self):
        """
        C{--deny-from} holding every address of an IP version, in one
        network or several, gets one warning line naming the option and
        those networks (it refused every client of that version without a
        word); the server still starts. A deny rule holding part of a
        version gets none.
        """
        makeService(parse("--auth", "anonymous", "--deny-from", "0.0.0.0/0",
                          "--deny-from", "2001:db8::/32"))
        makeService(parse("--auth", "anonymous", "--deny-from", "::/1",
                          "--deny-from", "8000::/1", "--deny-from",
                          "10.0.0.0/8"))
        makeService(parse("--auth", "anonymous", "--deny-from", "0.0.0.0/1"))
        said = [text for text in self.warnings() if "denies every" in text]
        self.assertEqual(said, [
            "--deny-from 0.0.0.0/0: denies every IPv4 address, so every "
            "IPv4 client is refused",
            "--deny-from ::/1, 8000::/1: denies every IPv6 address, so "
            "every IPv6 client is refused; IPv4 clients are matched as "
            "IPv4 addresses, even on a dual-stack listener (as "
            "::ffff:a.b.c.d), so none of them is"])

    def test_noWarningWithAuth(self):
        """
        With C{--auth} there is no such warning.
        """
        makeService(parse("--auth", "anonymous"))
        self.assertFalse(
            any("nobody can log in" in text for text in self.warnings())
        )

    def test_anonymousSeesHomesWarning(self):
        """
        With C{--home-per-user} and anonymous logins, a warning says that
        anonymous users can read every user's home (they see the root
        holding them all); without anonymous logins there is none.
        """
        root = scratchDirectory(self)
        makeService(parse("--root", root, "--home-per-user",
                          "--auth", "memory:bob:pw"))
        self.assertFalse(
            any("every user's home" in text for text in self.warnings()))
        makeService(parse("--root", root, "--home-per-user",
                          "--auth", "anonymous"))
        self.assertTrue(
            any("every user's home" in text for text in self.warnings()),
            self.warnings(),
        )

    def test_unusedRootWarning(self):
        """
        A C{--root} no realm serves (C{--realm memory}, C{fsspec:URL},
        C{filesystem:DIR}) gets a warning at start naming the realm, and
        the server starts (a deployment given it before keeps starting);
        C{--realm filesystem}, or a C{--vhost} serving it, gets none.
        """
        root = scratchDirectory(self)
        other = scratchDirectory(self)
        for realm in ["memory", "fsspec:memory://", "filesystem:" + other]:
            makeService(parse("--root", root, "--realm", realm,
                              "--auth", "anonymous"))
            self.assertIn(f"--root: --realm {realm} serves no --root (nor "
                          "does any --vhost's realm): the option is not used",
                          self.warnings())
        del self.events[:]
        makeService(parse("--root", root, "--auth", "anonymous"))
        makeService(parse("--root", root, "--realm", "memory",
                          "--vhost", "a.example=filesystem",
                          "--auth", "anonymous"))
        self.assertFalse(any("--root:" in text for text in self.warnings()),
                         self.warnings())

    def test_unusedHomesWarning(self):
        """
        C{--home-per-user} where no realm has homes (C{--realm memory})
        gets a warning at start, and the server starts.
        """
        makeService(parse("--home-per-user", "--realm", "memory",
                          "--auth", "memory:bob:pw"))
        self.assertIn("--home-per-user: --realm memory has one tree for "
                      "every user, no homes (nor has any --vhost's realm): "
                      "the option is not used", self.warnings())

    def test_anonymousOwnHomeNoWarning(self):
        """
        A users file's realm gives anonymous users its C{anonymous}
        entry's home, whatever C{--home-per-user} says: no warning that
        they see every home (it told the operator to use that realm).
        """
        root = scratchDirectory(self)
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            f.write('[users.anonymous]\nhome = "pub"\n')
        makeService(parse("--root", root, "--home-per-user",
                          "--auth", "anonymous", "--realm", "users:" + users))
        self.assertFalse(
            any("every user's home" in text for text in self.warnings()),
            self.warnings())

    def test_anonymousWithoutEntryWarning(self):
        """
        With C{--auth anonymous} and a users file without an C{anonymous}
        entry, a warning says that anonymous logins are refused (each was
        only a failed login in the log, as for a wrong password); with the
        entry, or without anonymous logins, there is none.
        """
        root = scratchDirectory(self)
        path = os.path.join(root, "users.toml")
        with open(path, "w") as f:
            f.write('[users.alice]\nhome = "alice"\n')
        warned = "no entry named anonymous"
        makeService(parse("--root", root, "--realm", f"users:{path}",
                          "--auth", f"users:{path}"))
        self.assertFalse(any(warned in text for text in self.warnings()))
        makeService(parse("--root", root, "--realm", f"users:{path}",
                          "--auth", f"users:{path}", "--auth", "anonymous"))
        self.assertTrue(any(warned in text and path in text
                            for text in self.warnings()), self.warnings())
        with open(path, "a") as f:
            f.write('[users.anonymous]\nhome = "pub"\n')
        before = len(self.warnings())
        makeService(parse("--root", root, "--realm", f"users:{path}",
                          "--auth", "anonymous"))
        self.assertFalse(any(warned in text
                             for text in self.warnings()[before:]),
                         self.warnings()[before:])

    def test_noUntrustedProxyWarning(self):
        """
        A C{haproxy:} listener without C{--trusted-proxy} trusts only the
        loopback networks, so there is nothing to warn about.
        """
        makeService(parse("--listen", "haproxy:tcp:0:interface=127.0.0.1"))
        self.assertFalse(
            any("--trusted-proxy" in text for text in self.warnings()),
            self.warnings(),
        )


class HangupAtStartTests(unittest.TestCase):
    """
    A server that starts holds C{SIGHUP} (blocked) until its service
    handles it (L{ftpkit.auth.realms.ReloadOnHangup}), which then reloads:
    its default action ended a server that got it in its first half
    second (a C{systemctl reload} right after the start), and ignoring it
    instead dropped the reload without a line.
    """

    def setUp(self):
        import signal

        # Parsed as twistd's, the options block SIGUSR1 until the service
        # starts; python -m ftpkit takes SIGINT and SIGTERM too.
        keepSignalState(self)
        for number in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(number, signal.SIG_DFL)
        # The entry points take over the plugin loader's log for the
        # process (ftpkit.deploy.pluginlookups): not for the tests after.
        import twisted.plugin

        self.patch(twisted.plugin, "log", twisted.plugin.log)

    def test_twistd(self):
        """
        Parsed as C{twistd}'s subcommand, the options hold C{SIGHUP}.
        """
        from ftpkit.deploy.tap import Options

        options = Options()
        options.parent = object()
        options.parseOptions(["--auth", "anonymous"])
        self.assertHeld()

    def assertHeld(self):
        """
        C{SIGHUP} is blocked, its default action left: held for the
        service's handler.
        """
        import signal

        self.assertIn(signal.SIGHUP, signal.pthread_sigmask(signal.SIG_BLOCK,
                                                            []))
        self.assertEqual(signal.getsignal(signal.SIGHUP), signal.SIG_DFL)

    def test_heldUntilHandled(self):
        """
        A C{SIGHUP} held while the server started is acted on once its
        service handles it: one reload.
        """
        import signal
        import threading

        from twisted.internet import task

        from ftpkit.deploy.hangup import ReloadOnHangup
        from ftpkit.deploy.signalcopies import COPY_WINDOW

        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP])
        # To this thread: the test process's other threads (a thread
        # pool's) do not block it, and would take its default action.
        signal.pthread_kill(threading.get_ident(), signal.SIGHUP)
        reloads = []
        clock = task.Clock()
        clock.callFromThread = lambda f, *a: f(*a)
        clock.addSystemEventTrigger = lambda *a: None
        hangup = ReloadOnHangup([lambda: reloads.append(True)], clock)
        hangup.startService()
        self.addCleanup(hangup.stopService)
        clock.advance(COPY_WINDOW)
        self.assertEqual(reloads, [True])

    def test_notTwistd(self):
        """
        Parsed elsewhere (a test, a worker, which sees to it itself), they
        leave C{SIGHUP} alone.
        """
        import signal

        parse("--auth", "anonymous")
        self.assertEqual(signal.getsignal(signal.SIGHUP), signal.SIG_DFL)

    def test_main(self):
        """
        C{python -m ftpkit} holds C{SIGHUP} before it even imports
        C{twistd}.
        """
        import signal

        from twisted.scripts import twistd

        from ftpkit import __main__

        seen = []

        def run():
            seen.append(signal.getsignal(signal.SIGHUP))
            self.assertHeld()

        self.patch(twistd, "run", run)
        self.patch(sys, "argv", list(sys.argv))
        __main__.main(["--auth", "anonymous"])
        self.assertEqual(seen, [signal.SIG_DFL])

    def test_plugin(self):
        """
        C{twistd}'s C{ftpkit} subcommand holds C{SIGHUP} as soon as it
        is chosen, when C{twistd} asks the plugin for its options, before
        they are even loaded (loading them took longer than the rest of
        ftpkit's start-up).
        """
        from ftpkit.deploy.tap import Options
        from twisted.plugins.ftpkit_plugin import ftpkit

        self.assertIs(ftpkit.options, Options)
        self.assertHeld()

    def test_worker(self):
        """
        The acceptor starts each worker with C{SIGHUP} blocked (the
        worker ignores it before it loads the server), and its own
        C{SIGHUP} blocked only while it does.
        """
        import signal

        from twisted.internet.testing import MemoryReactorClock

        from ftpkit.config import ServerConfig
        from ftpkit.deploy.workers import WorkerPool

        pool = WorkerPool(1, [], [], ServerConfig(),
                          reactor=MemoryReactorClock())
        blocked = []

        def spawnProcess(worker, executable, args, env, childFDs):
            blocked.append(signal.SIGHUP in signal.pthread_sigmask(
                signal.SIG_BLOCK, []))
            worker.channel.close()

        pool.reactor.spawnProcess = spawnProcess
        pool._startWorker()
        self.assertEqual(blocked, [True])
        self.assertNotIn(signal.SIGHUP,
                         signal.pthread_sigmask(signal.SIG_BLOCK, []))
