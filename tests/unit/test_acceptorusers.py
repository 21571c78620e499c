"""
The acceptor of C{--workers} keeps its users files for its workers
(L{ftpkit.deploy.keptfiles}) and works out none of the values only
sessions use (L{ftpkit.auth.usersviews}) when a file changes
(L{ftpkit.deploy.keptfiles.keepOnly}): at 60,000 users, about a second
of its CPU at each change, next to its hand-offs.
"""

import os

from twisted.trial import unittest

from ftpkit.auth import users
from ftpkit.deploy import keptfiles
from ftpkit.deploy.service import makeService
from tests.tapoptions import parse
from tests.unit.test_reloadviews import usersText

VIEWS = ("fileCost", "grantedTo", "diskHomes")
"""The values over every user that C{--realm users:} and C{--auth users:}
work out (L{ftpkit.auth.users})."""


class AcceptorViewsTests(unittest.TestCase):
    """
    A users file's values, counted as each is worked out, in the process
    L{makeService} builds.
    """

    def setUp(self):
        self.counts = dict.fromkeys(VIEWS, 0)
        for name in VIEWS:
            self.patch(users, name, self.counting(name, getattr(users, name)))
        self.root = os.path.realpath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.abspath(self.mktemp())
        with open(self.path, "w") as f:
            f.write(usersText(["alice"], ["list", "read", "write"]))

    def counting(self, name, function):
        """
        @return: C{function}, counting its calls in C{self.counts[name]}.
        """
        def counted(*args):
            self.counts[name] += 1
            return function(*args)
        return counted

    def changedAfter(self, *options):
        """
        Build a process' service with a users file, change the file, and
        read it again as the acceptor does at each round of pings
        (L{ftpkit.auth.reloadingfile.ReloadingFile.refresh}).

        @param options: more of the server's options.
        @return: the values worked out at that reading, by name.
        """
        self.server = makeService(parse(
            "--root", self.root, "--realm", "users:" + self.path,
            "--auth", "users:" + self.path, "--listen", "tcp:0", *options))
        with open(self.path, "w") as f:
            f.write(usersText(["alice", "bob"], ["list", "read", "write"]))
        self.counts = dict.fromkeys(VIEWS, 0)
        sources = [source for source in list(keptfiles._sources)
                   if getattr(source, "path", None) == self.path]
        self.assertTrue(sources)
        for source in sources:
            source.refresh()
        return self.counts

    def test_acceptorWorksOutNone(self):
        """
        The acceptor (C{--workers 2}) reads the changed file, and works out
        none of the values.
        """
        self.assertEqual(self.changedAfter("--workers", "2"),
                         dict.fromkeys(VIEWS, 0))

    def test_oneProcessWorksOutEach(self):
        """
        One process, which serves the sessions, works out each with the
        parse.
        """
        counts = self.changedAfter()
        self.assertEqual([name for name in VIEWS if not counts[name]], [])
