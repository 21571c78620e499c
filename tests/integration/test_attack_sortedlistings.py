"""
Attacks on listings sorted by time or reversed (C{LIST -t}, C{LIST -r}),
over real loopback sockets.

Such a listing is read whole and held until its data connection has
taken it (L{ftpkit.protocol.listingorder}): sessions that asked for one
and never read it held the directory's entries (some 5 MB for 10,000
long names, and another 3 MB formatted in one piece) each, with no
bound over the server. The entries held so are now bounded over the
process (L{ftpkit.protocol.listingorder.SortBudget}); past it a listing
is sent in name order, as one over the sort limit is.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.listingorder import SortBudget
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor
from tests.scratch import scratchDirectory

ENTRIES = 1000
"""Files in the listed directory."""

BUDGET = 2500
"""Entries the test's server may hold sorted at once: two listings."""


def nameOf(number):
    """
    @param number: a file's number.
    @return: its name (long, so a listing of them takes a while at the
        download rate).
    """
    return "f%04d-%s" % (number, "x" * 200)


class SortBudgetTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server whose sessions download at 4 KB/s, listings included, on a
    root with a directory C{d} of L{ENTRIES} files, the later names the
    newer (C{LIST -t} sends the last name first).
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        directory = os.path.join(self.root, "d")
        os.mkdir(directory)
        for number in range(ENTRIES):
            path = os.path.join(directory, nameOf(number))
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
            os.utime(path, (1e9 + 60 * number, 1e9 + 60 * number))
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, maxDownloadRate=4096))
        self.budget = SortBudget(BUDGET)
        self.server.factory.sortBudget = self.budget

    def startListing(self, command):
        """
        Log in, send C{command} and read the first line of its listing,
        leaving the rest unread (blocking).

        @return: the client, its data connection and the name that line
            ends in.
        """
        ftp = ftplibLogin(self, self.server.port, timeout=60)
        data = ftp.transfercmd(command)
        self.addCleanup(data.close)
        first = data.makefile("rb").readline()
        return ftp, data, first.decode("ascii").split()[-1]

    @defer.inlineCallbacks
    def heldSortsBounded(self, command, prefix=""):
        """
        Two sessions each hold a 1,000-entry C{command} (sorted by time)
        unread; with the server's budget spent, a third session's comes
        in name order. Once the two are gone, the entries they held are
        given back, and C{command} is sorted again.

        @param command: C{LIST -t d} or C{NLST -t d}.
        @param prefix: what the listing's names start with.
        """
        holders = []
        for _ in range(2):
            holder = yield self.inThread(self.startListing, command)
            self.assertEqual(holder[2], prefix + nameOf(ENTRIES - 1))
            holders.append(holder)
        _, data, first = yield self.inThread(self.startListing, command)
        data.close()
        self.assertEqual(first, prefix + nameOf(0))
        self.assertEqual(self.budget.free, BUDGET - 2 * ENTRIES)
        for ftp, data, _ in holders:
            data.close()
            ftp.close()
        self.assertTrue((yield waitFor(lambda: self.budget.free == BUDGET,
                                       timeout=30)))
        _, data, first = yield self.inThread(self.startListing, command)
        self.assertEqual(first, prefix + nameOf(ENTRIES - 1))

    def test_heldSortsBounded(self):
        """
        C{LIST -t}'s sorted records count against the budget until sent
        (L{heldSortsBounded}).
        """
        return self.heldSortsBounded("LIST -t d")

    def test_heldNamesBounded(self):
        """
        C{NLST -t}'s sorted names count against the budget until sent, as
        C{LIST -t}'s records do (L{heldSortsBounded}); they were given
        back once sorted, before a name was sent.
        """
        return self.heldSortsBounded("NLST -t d", "d/")
