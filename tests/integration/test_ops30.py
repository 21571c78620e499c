"""
What an operator meets running ftpkit (session 30's sweep of its
operating surfaces): each bug found there, with the test that failed
before its fix.

Tried and held (C{twistd -n ftpkit}, in one process and with
C{--workers 2}, in clear and with C{--tls-cert} and C{PROT P}): C{SIGHUP}
twice while a 50 MB download, a 20 MB upload and a loop of 0-byte
downloads, 0-byte uploads and listings of an empty directory ran (every
transfer finished whole; one C{SIGHUP: reloading} line a process a signal,
the acceptor's C{SIGHUP: reloading 2 workers} once; C{/metrics} counted
41 C{RETR}, 41 C{STOR} and 40 C{LIST} in both modes); C{SIGUSR1} and
C{SIGUSR2} during the same transfers (nothing cut, no line); C{SIGTERM}
and C{SIGINT} during them (the transfers finished, the idle session got
421, new connections were refused as the listener closed, one
C{stopping:} line a process, the process exited); wrong values for every
option of C{twistd ftpkit --help} (negative, zero, huge, malformed, empty,
missing and unreadable files, options that need or contradict others):
each a one-line usage error, no traceback; encrypted, mismatched, junk
and FIFO keys for C{--tls-key} and C{ssl:} listeners. Also held:
C{SIGHUP} after a users file gave alice C{read-only} and bob a new
password (every new login on either worker saw both, the session logged
in before kept its rights); a renewed certificate under
C{--tls-require-session-reuse}, TLS 1.2 and 1.3 (the session logged in
before still resumed its TLS session on each data connection); three
C{SIGUSR1} rotations under C{--workers 2} during 450 downloads (450
lines over the four files, none twice); C{SIGHUP}, C{SIGTERM},
C{SIGUSR1} and C{SIGINT} during a drain (one line each, the transfers
finished); C{/metrics} after a reload with failed logins, a refused
upload, a cut download and listings: the same series and values in
both modes.

Fixed:
  - an endpoint argument its kind does not take (C{--listen
    tcp:2121:bogus=1}, C{Interface=} for C{interface=}), one too many
    without a name, or a missing port, was a usage error in Python's
    words, naming Twisted's private parser (C{_parseTCP() got an
    unexpected keyword argument 'bogus'});
  - C{--auth memory:alice} (a user without a password) was Twisted's
    C{argstring must be in format U:P:...};
  - C{twistd}'s own C{--logfile}, C{--pidfile}, C{--rundir} and
    C{--chroot} naming a missing directory (or a directory for a file)
    were a C{FileNotFoundError} or C{IsADirectoryError} traceback once
    the start had begun (a missing pid file's directory, after the
    server had logged its start).

Found and left:
  - under C{--workers}, C{ftpkit_sessions} on C{/metrics}, scraped right
    after the last of four clients had closed its connection, said 1
    where one process said 0, and 0 in a run that waited three seconds
    (no count lost); traced since: workers write the gauge at the
    session's end, with no periodic report, and that scrape raced the
    worker's reading of the client's close, by milliseconds (documented
    in C{docs/monitoring.rst}; C{test_workersSessionGaugePrompt} in
    L{tests.integration.test_metrics} asks for 0 within a second);
  - a users file or certificate a C{SIGHUP} cannot use is one error line
    from each worker under C{--workers} (one in one process): each worker
    reloads and fails on its own, as each logs its own C{reloaded ...}
    line when the reload succeeds (documented); saying it once would
    need the acceptor to judge the files for its workers;
  - C{--max-passive-per-ip} over half of C{--passive-ports} was cut to
    that half without a word (fixed in the same session: a warning at
    start, tests/unit/test_tapservice.py test_passiveCapWarning);
  - an unknown C{twistd --uid} or C{--gid} is still C{twistd}'s
    C{KeyError} traceback: C{twistd} reads it before ftpkit's options;
  - C{--listen tcp:0:interface=999.1.1.1} is a C{critical} log line
    (C{cannot listen: ... Name or service not known}) and exit status 1
    rather than a usage error: the name is resolved only when listening.
"""

import os
import subprocess
import sys

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.twistdpaths import twistdPathError
from tests.integration.test_plugin import _SOURCE, _TWISTD
from tests.scratch import scratchDirectory
from tests.unit.test_tap import parse


class EndpointArgumentTests(unittest.TestCase):
    """
    A C{--listen} or C{--metrics} endpoint whose arguments its parser
    cannot take is a usage error in the description's terms.
    """

    def refused(self, option, description):
        """
        @param option: C{--listen} or C{--metrics}.
        @param description: the endpoint given.
        @return: the usage error's message.
        """
        return str(self.assertRaises(usage.UsageError, parse, option,
                                     description))

    def test_unknownArgument(self):
        """
        An argument no C{tcp:} endpoint takes is named, with those it
        takes, and the parser's private name is not.
        """
        why = self.refused("--listen", "tcp:0:bogus=1")
        self.assertIn("tcp: takes no argument 'bogus' (it takes port, "
                      "interface, backlog)", why)
        self.assertNotIn("_parse", why)

    def test_unknownArgumentBehindProxy(self):
        """
        So it is for the endpoint behind C{haproxy:}, and for
        C{--metrics}.
        """
        self.assertIn("tcp6: takes no argument 'Interface'",
                      self.refused("--listen",
                                   "haproxy:tcp6:0:Interface=\\:\\:1"))
        self.assertIn("tcp: takes no argument 'bogus'",
                      self.refused("--metrics", "tcp:0:bogus=1"))

    def test_tooManyPlaced(self):
        """
        One argument too many without a name says how many it takes.
        """
        why = self.refused("--listen", "tcp:0:127.0.0.1:50:extra")
        self.assertIn("tcp: takes at most 3 arguments without a name, "
                      "not 4", why)
        self.assertNotIn("_parse", why)

    def test_missingPort(self):
        """
        A C{tcp:} endpoint without a port says so.
        """
        why = self.refused("--listen", "tcp")
        self.assertIn("tcp: needs 'port'", why)
        self.assertNotIn("_parse", why)


class MemoryUsersTests(unittest.TestCase):
    """
    C{--auth memory:...} with a user lacking a password says which.
    """

    def test_userWithoutPassword(self):
        """
        C{memory:alice:pw:bob} names C{bob}, rather than Twisted's
        C{argstring must be in format U:P:...}.
        """
        why = str(self.assertRaises(usage.UsageError, parse, "--auth",
                                    "memory:alice:pw:bob"))
        self.assertIn("needs USER:PASSWORD pairs, like memory:alice:secret: "
                      "'bob' has no password", why)
        self.assertNotIn("argstring", why)


class TwistdPathTests(unittest.TestCase):
    """
    The paths of C{twistd}'s own options that cannot be used stop
    C{twistd ftpkit} with one line.
    """

    timeout = 120

    def test_missingLogDirectory(self):
        """
        C{twistd -n --logfile DIR/x.log ftpkit} with no C{DIR} is a usage
        error, not a traceback.
        """
        missing = os.path.join(scratchDirectory(self), "gone")
        done = subprocess.run(
            [sys.executable, "-c", _TWISTD, "-n", "--pidfile=",
             "--logfile", os.path.join(missing, "x.log"), "ftpkit",
             "--listen", "tcp:0:interface=127.0.0.1", "--root",
             scratchDirectory(self)], capture_output=True, text=True,
            timeout=60, env=dict(os.environ, PYTHONPATH=_SOURCE))
        self.assertEqual(
            (done.returncode, done.stderr.splitlines()[-1:]),
            (1, [f"twistd ftpkit: --logfile: no directory {missing!r} for "
                 "the log file (see --help)"]))
        self.assertNotIn("Traceback", done.stderr + done.stdout)

    def test_paths(self):
        """
        A missing directory for the pid file, a directory given as the log
        file, and a missing C{--rundir} or C{--chroot} are each named; a
        relative pid file is where C{twistd} puts it, in the directory it
        starts in (not C{--rundir}), and under C{--chroot} only the new
        root is checked.
        """
        here = scratchDirectory(self)
        missing = os.path.join(here, "gone")
        fine = {"logfile": None, "pidfile": "twistd.pid", "rundir": here,
                "chroot": None}
        self.assertIsNone(twistdPathError(fine))
        self.assertIsNone(twistdPathError(None))
        for changed, expected in [
                ({"pidfile": os.path.join(missing, "x.pid")},
                 f"--pidfile: no directory {missing!r} for the pid file"),
                ({"logfile": here},
                 f"--logfile: {here!r} is a directory, not a log file"),
                ({"rundir": missing},
                 f"--rundir: {missing!r} is not an existing directory"),
                ({"pidfile": "gone/x.pid"},
                 "--pidfile: no directory 'gone' for the pid file"),
                ({"chroot": missing},
                 f"--chroot: {missing!r} is not an existing directory"),
                ({"chroot": here, "logfile": here}, None)]:
            self.assertEqual(twistdPathError({**fine, **changed}), expected)
