"""
L{ftpkit.deploy.startfailure}: a server that cannot start tells the
waiting C{twistd} command (L{endStart}), with its pid file already gone,
and says why it could not listen (L{cannotListen}).
"""

import os
import subprocess
import sys

from twisted.internet.error import CannotListenError
from twisted.trial import unittest

from ftpkit.deploy import startfailure
from ftpkit.deploy.startfailure import cannotListen, endStart
from tests.fullpipes import fullPipe
from tests.serverprocess import TIMEOUT

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class EndStartTests(unittest.TestCase):
    """
    L{endStart} ends the process with status 1.
    """

    def test_pidFileGoneWhenTold(self):
        """
        When the command reads why the server could not start, the pid
        file is gone already: the command exits at once, and a script
        running it looked for the file before the server removed it
        (DaemonAddressInUseTests saw it now and then).
        """
        pidfile = self.mktemp()
        with open(pidfile, "w") as f:
            f.write("123\n")
        readEnd, writeEnd = os.pipe()
        self.addCleanup(os.close, readEnd)
        told = []
        original = os.write

        def write(fd, data):
            if fd == writeEnd:
                told.append((data, os.path.exists(pidfile)))
            return original(fd, data)
        self.patch(os, "write", write)
        options = {"statusPipe": writeEnd, "pidfile": pidfile}
        e = self.assertRaises(SystemExit, endStart, options, "cannot listen")
        self.assertEqual(e.code, 1)
        self.assertEqual(told, [(b"1 cannot listen", False)])
        self.assertEqual(os.read(readEnd, 100), b"1 cannot listen")
        self.assertIsNone(options["statusPipe"])

    def test_logElsewhere(self):
        """
        C{twistd -n} whose log is a file or syslog also writes the line
        to its standard error (descriptor 2), as C{twistd ftpkit: WHY};
        one whose log is its standard output does not write it twice.
        """
        written = []
        self.patch(startfailure, "writeNow",
                   lambda fd, data: written.append((fd, data)))
        for options, expected in [
                ({"logfile": "ftpkit.log"},
                 [(2, b"twistd ftpkit: cannot listen\n")]),
                ({"logfile": None, "syslog": True},
                 [(2, b"twistd ftpkit: cannot listen\n")]),
                ({"logfile": None}, []), ({"logfile": "-"}, [])]:
            del written[:]
            self.assertRaises(SystemExit, endStart, options, "cannot listen")
            self.assertEqual(written, expected, options)

    def test_stderrFull(self):
        """
        A standard error nobody reads, its pipe full (a supervisor's), does
        not keep the server from exiting 1: the line is lost (before
        session 55 the server waited on its write for good).
        """
        writeEnd = fullPipe(self)
        code = ("from ftpkit.deploy.startfailure import endStart; "
                "endStart({'logfile': 'ftpkit.log'}, 'cannot listen')")
        try:
            process = subprocess.Popen([sys.executable, "-c", code],
                                       cwd=_ROOT, stderr=writeEnd)
        finally:
            os.close(writeEnd)
        try:
            self.assertEqual(process.wait(TIMEOUT), 1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            self.fail("the server waited on its standard error")

    def test_noTwistd(self):
        """
        Outside C{twistd} (a worker), it only exits.
        """
        e = self.assertRaises(SystemExit, endStart, None, "cannot listen")
        self.assertEqual(e.code, 1)


class CannotListenTests(unittest.TestCase):
    """
    L{cannotListen} says why a listener could not listen, and for which
    option.
    """

    def test_option(self):
        """
        The option given comes last, after the error.
        """
        error = CannotListenError("127.0.0.1", 9102, OSError(98, "in use"))
        self.assertEqual(
            cannotListen(error, "--metrics tcp:9102"),
            "cannot listen: Couldn't listen on 127.0.0.1:9102: [Errno 98] "
            "in use (--metrics tcp:9102)")

    def test_errorOption(self):
        """
        The error's own C{option} wins (the acceptor of C{--workers} names
        which of its C{--listen} endpoints failed).
        """
        error = CannotListenError("::1", 21, OSError(13, "denied"))
        error.option = "--listen tcp6:21"
        self.assertTrue(cannotListen(error, "--listen").endswith(
            " (--listen tcp6:21)"))

    def test_noOption(self):
        """
        Without one, the error alone; an error of no text by its type.
        """
        self.assertEqual(cannotListen(OSError()), "cannot listen: OSError")
