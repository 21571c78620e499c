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
    exit status 1 once the start had begun, not a usage error.

Found and left:
  - C{twistd --uid nosuchuser ftpkit} and C{--gid nosuchgroup} (a I{name}
    C{twistd} cannot find) are still C{twistd}'s C{KeyError} traceback:
    C{twistd} looks names up as it reads its own options, before it loads
    any plugin, and no ftpkit code runs before that (documented in
    C{docs/deployment.rst}).
"""

import os
import socket
import subprocess
import sys

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.endpoints import interfaceError
from ftpkit.deploy.twistdids import misplacedOption, twistdIdError
from tests.integration.test_plugin import _SOURCE, _TWISTD
from tests.scratch import scratchDirectory
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
