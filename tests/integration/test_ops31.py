"""
What an operator meets running ftpkit (session 31's sweep of its
operating surfaces): each bug found there, with the test that failed
before its fix.

Fixed:
  - C{twistd --uid 54321 ftpkit} (a user id without a password entry) was
    a C{KeyError} traceback once the server had started listening
    (C{twistd} looks the user up for its groups), C{--gid 4294967296} an
    C{OverflowError} one; C{twistd ftpkit --uid ftp} (a C{twistd} option
    after C{ftpkit}) said only C{option --uid not recognized};
  - C{--listen tcp:0:interface=999.1.1.1} (an interface name that does
    not resolve), and so C{--metrics}, was a C{critical} log line and
    exit status 1 once the start had begun, not a usage error;
  - under C{--workers 2}, a C{SIGHUP} whose users file or certificate
    could not be used logged its error once from each worker (two errors
    for one bad file), and so its C{reloaded ...} lines when it
    succeeded: now the acceptor logs each once, naming the workers;
  - C{SIGUSR1} or C{SIGUSR2} while C{twistd ftpkit} loaded its options
    (a second under load, after C{twistd} chose the subcommand) ended the
    server silently by their default actions, C{SIGQUIT} with a core
    dump: they are held from the moment the subcommand is chosen.

Found and left:
  - C{twistd --uid nosuchuser ftpkit} and C{--gid nosuchgroup} (a I{name}
    C{twistd} cannot find) are still C{twistd}'s C{KeyError} traceback:
    C{twistd} looks names up as it reads its own options, before it loads
    any plugin, and no ftpkit code runs before that (documented in
    C{docs/deployment.rst});
  - C{SIGINT} (Ctrl-C) while C{twistd -n ftpkit} imports ftpkit's options
    (a second under load, before they parse and install the quiet
    handler of L{ftpkit.deploy.startinterrupt}) is still Python's
    C{KeyboardInterrupt} traceback: the plugin, which runs first, cannot
    see whether C{twistd} was given C{-n}, and a daemon's start keeps
    the default (C{python -m ftpkit} is quiet from its first line);
  - a worker's own C{SIGHUP: reloading users and certificates} line
    stays one a worker (under the acceptor's C{reloading 2 workers}):
    it says that worker got the word, and the signal tests read it.

Tried and held: every row of L{tests.badoptions} parsed again with
C{--workers 2} (each the same usage error); C{SIGHUP}, C{SIGUSR1},
C{SIGUSR2}, C{SIGTERM} and C{SIGINT}, each twice 10 ms apart, 0.05 to
2 seconds after C{twistd -n ftpkit} was started, in one process and with
C{--workers 2} (past Python's and C{twistd}'s own start-up, under 0.8
seconds, no process ended but by C{SIGTERM} and C{SIGINT}, no traceback
but C{SIGINT}'s above); C{--xferlog /dev/full} (one error line, the
transfers served); timeouts and C{--shutdown-grace} of 99999999999999
seconds (served).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.endpoints import interfaceError
from ftpkit.deploy.stopsignals import QUITTING
from ftpkit.deploy.twistdids import misplacedOption, twistdIdError
from ftpkit.ops.workerechoes import (
    CERTIFICATE_NOT_RELOADED,
    CERTIFICATE_RELOADED,
    ECHO_WINDOW,
    USERS_NOT_RELOADED,
    USERS_RELOADED_ONE,
)
from tests.integration.test_plugin import _SOURCE, _TWISTD
from tests.integration.test_users import ALICE_HASH
from tests.integration.test_workers_parity import WorkersTestCase
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import AT_WORKER_OR_IMPORT, sitePath
from tests.tlssupport import makeCertificate
from tests.unit.test_tap import parse


def _runTwistd(case, *args):
    """
    Run C{twistd} (as C{twistd -n --pidfile=}) with C{args} to its end.

    @param case: the test, for a scratch directory to serve.
    @param args: C{twistd}'s options, then C{ftpkit} and its options.
    @return: the exit status and the lines of standard error and output.
    """
    done = subprocess.run(
        [sys.executable, "-c", _TWISTD, "-n", "--pidfile=", *args],
        capture_output=True, text=True, timeout=60,
        cwd=scratchDirectory(case), env=dict(os.environ, PYTHONPATH=_SOURCE))
    return done.returncode, (done.stderr + done.stdout).splitlines()


class TwistdIdTests(unittest.TestCase):
    """
    C{twistd}'s C{--uid} and C{--gid}, which it uses only once the server
    listens, are checked with ftpkit's options.
    """

    timeout = 120

    def test_ids(self):
        """
        A user id without a password entry is named; a group id out of the
        kernel's range too; a group id without a group entry is accepted,
        as the kernel and C{twistd} accept it; under C{--chroot} the user
        is not looked up (C{twistd} looks it up in the new root).
        """
        def entry(uid):
            if uid != 1000:
                raise KeyError(uid)

        for options, expected in [
                ({"uid": 1000, "gid": 54321}, None),
                ({"uid": None, "gid": 0}, None),
                ({"uid": 54321, "gid": None},
                 "--uid: no user has the id 54321 (twistd needs its entry "
                 "in the password database for its name and groups)"),
                ({"uid": 54321, "gid": None, "chroot": "/srv"}, None),
                ({"uid": 1000, "gid": 2 ** 32},
                 "--gid: 4294967296 is no group id (0 to 4294967294)"),
                ({"uid": None, "gid": -1},
                 "--gid: -1 is no group id (0 to 4294967294)")]:
            self.assertEqual(twistdIdError(options, entry), expected)
        self.assertIsNone(twistdIdError(None, entry))

    def test_unknownUidProcess(self):
        """
        C{twistd --uid 54321 ftpkit}, with no such user, ends in one usage
        line before the server starts, not a C{KeyError} traceback after.
        """
        try:
            import pwd
            pwd.getpwuid(54321)
        except KeyError:
            pass
        else:
            raise unittest.SkipTest("this machine has a user 54321")
        status, lines = _runTwistd(
            self, "--uid", "54321", "ftpkit", "--listen",
            "tcp:0:interface=127.0.0.1", "--root", scratchDirectory(self))
        self.assertEqual((status, lines), (1, [
            "twistd ftpkit: --uid: no user has the id 54321 (twistd needs "
            "its entry in the password database for its name and groups) "
            "(see --help)"]))

    def test_twistdOptionAfterFtpkit(self):
        """
        C{twistd ftpkit --uid ftp} says C{--uid} goes before C{ftpkit}
        (and C{python -m ftpkit}, which takes no C{twistd} option, says
        to run C{twistd}); an option neither takes is left to the
        parser's words.
        """
        twistd = {"uid": "uid", "u": "uid", "nodaemon": "nodaemon"}

        class Parent:
            synonyms = twistd

        self.assertEqual(
            misplacedOption("option --uid not recognized", Parent, "twistd"),
            "--uid: an option of twistd itself: give it before ftpkit "
            "(twistd --uid ... ftpkit ...)")
        self.assertEqual(
            misplacedOption("option -u not recognized", Parent, "ftpkit"),
            "-u: an option of twistd, which python -m ftpkit does not "
            "take: run twistd -n -u ... ftpkit ...")
        self.assertIsNone(misplacedOption("option --bogus not recognized",
                                          Parent, "twistd"))
        self.assertIsNone(misplacedOption("--uid: x", Parent, "twistd"))
        self.assertIsNone(misplacedOption("option --uid not recognized",
                                          None, "twistd"))
        status, lines = _runTwistd(self, "ftpkit", "--uid", "nosuchuser")
        self.assertEqual((status, lines), (1, [
            "twistd ftpkit: --uid: an option of twistd itself: give it "
            "before ftpkit (twistd --uid ... ftpkit ...) (see --help)"]))


class InterfaceNameTests(unittest.TestCase):
    """
    A listener's C{interface} that is a name resolving to nothing is a
    usage error, as C{--listen} and C{--metrics} are read.
    """

    timeout = 120

    def test_interfaceError(self):
        """
        Addresses are not resolved; a name is, as IPv4 (as Twisted binds
        it, for C{tcp6:} too), placed or named, behind C{haproxy:}; other
        kinds of endpoint are left alone.
        """
        asked = []

        def resolve(host, port, family, kind):
            asked.append((host, family))
            if host != "ftp.example":
                raise socket.gaierror(-2, "Name or service not known")

        for description in ["tcp:0", "tcp:0:interface=127.0.0.1",
                            "tcp6:0:interface=\\:\\:1",
                            "tcp:0:interface=ftp.example",
                            "unix:/tmp/x", "tcp6:0:fe80\\:\\:1%lo"]:
            self.assertIsNone(interfaceError(description, resolve),
                              description)
        self.assertEqual(asked, [("ftp.example", socket.AF_INET)])
        for description in ["tcp:0:interface=999.1.1.1",
                            "tcp6:0:interface=999.1.1.1",
                            "tcp:0:999.1.1.1",
                            "haproxy:tcp:0:interface=999.1.1.1"]:
            self.assertEqual(
                interfaceError(description, resolve),
                "interface '999.1.1.1' is no IP address, and no address of "
                "that name was found (Name or service not known)")

    def test_options(self):
        """
        C{--listen} (C{ssl:} too) and C{--metrics} with such a name are
        usage errors naming it.
        """
        for option, description in [
                ("--listen", "tcp:0:interface=nosuch.invalid"),
                ("--listen", "haproxy:tcp6:0:interface=nosuch.invalid"),
                ("--metrics", "tcp:0:interface=nosuch.invalid")]:
            why = str(self.assertRaises(usage.UsageError, parse, option,
                                        description))
            self.assertIn(f"{option}: bad endpoint {description!r}: "
                          f"interface 'nosuch.invalid' is no IP address",
                          why)

    def test_process(self):
        """
        Run by C{twistd}, it is one line and exit status 1, before any
        start.
        """
        status, lines = _runTwistd(
            self, "ftpkit", "--listen", "tcp:0:interface=999.1.1.1",
            "--root", scratchDirectory(self))
        self.assertEqual(status, 1)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--listen: bad endpoint 'tcp:0:interface=999.1.1.1': "
                      "interface '999.1.1.1' is no IP address", lines[0])


class ReloadOutcomeTests(WorkersTestCase):
    """
    Under C{--workers 2}, a C{SIGHUP} reload's outcome is one line for
    both workers, as it is one line in one process.
    """

    def test_failedAndDone(self):
        """
        A users file and a certificate made unusable: one error line each,
        naming both workers; made good again: one C{reloaded} line each.
        """
        directory = scratchDirectory(self)
        users = os.path.join(directory, "users.toml")
        with open(users, "w") as f:
            f.write(f'[users.alice]\npassword = "{ALICE_HASH}"\n')
        cert, key, _ = makeCertificate(directory)
        self.start("--tls-cert", cert, "--tls-key", key,
                   "--log-format", "json", users=f"users:{users}")
        good = {path: open(path).read() for path in (users, cert)}
        for path in (users, cert):
            with open(path, "w") as f:
                f.write("[junk\n")
        self.server.signal(signal.SIGHUP)
        self.assertOncePerReload([USERS_NOT_RELOADED,
                                  CERTIFICATE_NOT_RELOADED], 1)
        for path, content in good.items():
            with open(path, "w") as f:
                f.write(content)
        self.server.signal(signal.SIGHUP)
        self.assertOncePerReload([USERS_RELOADED_ONE, CERTIFICATE_RELOADED],
                                 1)

    def assertOncePerReload(self, formats, count):
        """
        Wait for C{count} lines of each of C{formats}, then check that
        each names both workers.

        @param formats: C{log_format}s.
        @param count: how many lines of each the log must hold.
        """
        def records():
            log = list(map(json.loads, self.server.log().splitlines()))
            found = [[record for record in log
                      if record.get("log_format") == each]
                     for each in formats]
            return found if all(len(each) >= count for each in found) \
                else None

        found = self.server.waitFor(records, f"{count} x {formats}")
        # No worker logs a line of its own later.
        time.sleep(ECHO_WINDOW + 1)
        self.assertEqual(records(), found)
        workers = sorted(
            record["pid"] for record in map(json.loads,
                                            self.server.log().splitlines())
            if record.get("log_format") == "worker {pid} ready")
        for each in found:
            self.assertEqual([sorted(record["ftpkit_workers"])
                              for record in each], [workers] * count)


SIGNALS_AT_OPTIONS = """\
import os, signal, sys

MODULE = "ftpkit.deploy.tap"


def act():
    for number in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGQUIT):
        os.kill(os.getpid(), number)
""" + AT_WORKER_OR_IMPORT
"""
A C{sitecustomize} sending its process C{SIGUSR1}, C{SIGUSR2} and
C{SIGQUIT} as it begins to load ftpkit's options (after C{twistd} chose
the C{ftpkit} subcommand), and a worker at its first moment.
"""


class SignalsWhileLoadingTests(unittest.TestCase):
    """
    The signals a server holds while it starts are held from the moment
    C{twistd} picks the C{ftpkit} subcommand, before ftpkit's options
    load (a second under load).
    """

    timeout = 120

    def test_userSignalsAndQuit(self):
        """
        C{SIGUSR1}, C{SIGUSR2} and C{SIGQUIT} while C{twistd ftpkit}
        loads its options end nothing (their default actions ended the
        server, silently, or with a core dump): it listens, then
        C{SIGQUIT}, held meanwhile, stops it with its line, status 0.
        """
        root = scratchDirectory(self)
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous"], twistd=True,
            env={"PYTHONPATH": sitePath(self, SIGNALS_AT_OPTIONS)})
        status = server.process.wait(timeout=60)
        log = server.log()
        self.assertEqual(status, 0, log)
        self.assertIn("ftpkit listening on 127.0.0.1", log)
        self.assertIn(QUITTING, log)
        self.assertNotIn("Traceback", server.log())
