"""
L{ftpkit.deploy.startfailure.endStart}: a server that cannot start tells
the waiting C{twistd} command, with its pid file already gone.
"""

import os

from twisted.trial import unittest

from ftpkit.deploy.startfailure import endStart


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

    def test_noTwistd(self):
        """
        Outside C{twistd} (a worker), it only exits.
        """
        e = self.assertRaises(SystemExit, endStart, None, "cannot listen")
        self.assertEqual(e.code, 1)
