"""
Tests for L{ftpkit.deploy.startvalues}: the values a users file's
checker and realm work out over every user at start, worked out once the
options are parsed by a process that serves sessions only; the acceptor
of C{--workers} worked them out too (1.1 s at 60,000 users), only to let
go of them.
"""

import gc
import os

from twisted.trial import unittest

from ftpkit.auth import users
from ftpkit.deploy.startvalues import atStart, heldWhileParsed
from ftpkit.deploy.tap import Options
from tests.unit.test_reloadviews import usersText
from tests.usersfiles import writeText


class HeldTests(unittest.TestCase):
    """
    L{atStart} in and out of L{heldWhileParsed}.
    """

    def setUp(self):
        self.done = []

    def test_outsideAtOnce(self):
        """
        Out of a parse, a work runs at once.
        """
        atStart(self.done.append, 1)
        self.assertEqual(self.done, [1])

    def test_servesAfter(self):
        """
        In a parse of a process that serves sessions, the works run once
        it is done, in order.
        """
        with heldWhileParsed() as decided:
            atStart(self.done.append, 1)
            atStart(self.done.append, 2)
            self.assertEqual(self.done, [])
            decided["serves"] = True
        self.assertEqual(self.done, [1, 2])

    def test_notServing(self):
        """
        A process that serves no session runs none of them; one after
        it, out of a parse, at once.
        """
        with heldWhileParsed():
            atStart(self.done.append, 1)
        self.assertEqual(self.done, [])
        atStart(self.done.append, 2)
        self.assertEqual(self.done, [2])

    def test_refusedNotRun(self):
        """
        A parse that fails (an option refused) runs none of them.
        """
        with self.assertRaises(ValueError):
            with heldWhileParsed() as decided:
                atStart(self.done.append, 1)
                decided["serves"] = True
                raise ValueError("refused")
        self.assertEqual(self.done, [])


class AcceptorTests(unittest.TestCase):
    """
    What L{Options} works out over a users file's users while it parses,
    counted by function (the dummy hash's cost, the permissions offered,
    the quotas' homes).
    """

    def setUp(self):
        self.counted = []
        for name in ("fileCost", "grantedTo", "diskHomes"):
            self.patch(users, name, self.counting(name, getattr(users, name)))
        self.addCleanup(gc.unfreeze)
        path = self.mktemp()
        writeText(path, usersText(["alice", "bob"]))
        root = self.mktemp()
        os.mkdir(root)
        self.args = ["--auth", f"users:{path}", "--realm", f"users:{path}",
                     "--root", root, "--listen", "tcp:0:interface=127.0.0.1"]

    def counting(self, name, function):
        """
        @param name: a function's name.
        @param function: the function.
        @return: it, noting C{name} in C{self.counted} at each call.
        """
        def counted(*args):
            self.counted.append(name)
            return function(*args)
        return counted

    def parse(self, *more, worker=False):
        """
        @param more: options after C{self.args}.
        @param worker: whether a worker parses them.
        @return: the names of the functions worked out, sorted.
        """
        options = Options()
        options.worker = worker
        options.parseOptions(self.args + list(more))
        return sorted(self.counted)

    def test_oneProcess(self):
        """
        One process serving its sessions works each out at start.
        """
        self.assertEqual(self.parse(),
                         ["diskHomes", "fileCost", "grantedTo"])

    def test_acceptor(self):
        """
        The acceptor of C{--workers} works none of them out.
        """
        self.assertEqual(self.parse("--workers", "2"), [])

    def test_worker(self):
        """
        Its workers, parsing the same options, work each out.
        """
        self.assertEqual(self.parse("--workers", "2", worker=True),
                         ["diskHomes", "fileCost", "grantedTo"])
