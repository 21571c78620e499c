"""
A C{PROMETHEUS_MULTIPROC_DIR} below a directory other users may write
is not used (L{ftpkit.ops.metricfiles.ancestorProblem}): only the
directory itself was checked, so another user who could write its
parent could swap it for a directory of their own.
"""

import os

from twisted.trial import unittest

from ftpkit.ops import metricfiles
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

NOBODY = 65534
"""The user id of C{nobody}, another local user."""


class AncestorTests(unittest.TestCase):
    """
    A C{PROMETHEUS_MULTIPROC_DIR} of this user, but below a directory
    other users may write (who may swap it for one of theirs), is not
    used: only the directory itself was checked.
    """

    def setUp(self):
        self.top = scratchDirectory(self)

    def test_writableParent(self):
        parent = os.path.join(self.top, "open")
        os.mkdir(parent)
        os.chmod(parent, 0o777)
        directory = os.path.join(parent, "metrics")
        os.mkdir(directory, 0o700)
        self.assertEqual(
            metricfiles.directoryProblem(directory),
            f"other users may write in {parent} above it (mode 0777)")
        os.chmod(parent, 0o1777)
        self.assertIsNone(metricfiles.directoryProblem(directory))

    def test_othersParent(self):
        """
        A directory above it that belongs to another user is refused,
        unless that user is root.
        """
        parent = os.path.join(self.top, "theirs")
        os.mkdir(parent, 0o755)
        directory = os.path.join(parent, "metrics")
        os.mkdir(directory, 0o700)
        uid = os.geteuid()
        if uid == 0:
            os.chown(parent, NOBODY, -1)
            self.assertEqual(
                metricfiles.directoryProblem(directory),
                f"the directory {parent} above it belongs to user {NOBODY}")
        else:
            self.assertIsNone(metricfiles.directoryProblem(directory))

    def test_link(self):
        """
        A link on the way is followed and checked: its real place, and
        the link's owner.
        """
        parent = os.path.join(self.top, "open")
        os.mkdir(parent)
        os.chmod(parent, 0o777)
        directory = os.path.join(parent, "metrics")
        os.mkdir(directory, 0o700)
        link = os.path.join(self.top, "link")
        os.symlink(directory, link)
        self.assertEqual(
            metricfiles.directoryProblem(link),
            f"other users may write in {parent} above it (mode 0777)")
        if os.geteuid() == 0:
            os.chmod(parent, 0o755)
            self.assertIsNone(metricfiles.directoryProblem(link))
            os.lchown(link, NOBODY, -1)
            self.assertEqual(
                metricfiles.directoryProblem(link),
                f"the link {link} on the way to it belongs to user "
                f"{NOBODY}")


class ServerTests(unittest.TestCase):
    """
    A server under C{--workers} leaves such a directory alone, saying
    why in one line.
    """

    timeout = 120

    def test_writableParent(self):
        parent = os.path.join(scratchDirectory(self), "open")
        os.mkdir(parent)
        os.chmod(parent, 0o777)
        directory = os.path.join(parent, "metrics")
        os.mkdir(directory, 0o700)
        server = ServerProcess(self, [
            "--workers", "2", "--auth", "anonymous", "--root",
            scratchDirectory(self)],
            env={"PROMETHEUS_MULTIPROC_DIR": directory}, metrics=True)
        server.waitForGreeting()
        server.login().quit()
        log = server.log()
        self.assertEqual(os.listdir(directory), [], log)
        self.assertEqual(log.count("PROMETHEUS_MULTIPROC_DIR="), 1, log)
        self.assertIn(f"other users may write in {parent} above it (mode "
                      "0777)", log)
        self.assertNotIn("Traceback", log)
