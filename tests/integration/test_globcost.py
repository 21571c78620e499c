"""
A wildcard in C{LIST} (and C{STAT}) describes only the entries it matches:
the server names the directory's entries, matches the pattern, and asks
the shell about the matches alone (L{ftpkit.interfaces.IFTPShellListSome}).
It described every entry of the directory first, which took seconds in a
directory of 100,000 entries for a pattern matching a few.
"""

import os
import time

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import SharedShellRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.globbing import matchNames
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.wrappers import ShellWrapper
from tests.ftpclient import ftplibLogin, listingLines
from tests.scratch import scratchDirectory

OTHERS = 300
"""Entries of the directory the pattern does not match."""


class DescribingCounter(ShellWrapper):
    """
    A shell counting the entries it describes: each C{stat}, and each entry
    of C{list} and C{listSome}.

    @ivar described: the count.
    """

    described = 0

    def _count(self, result, many=True):
        self.described += len(result) if many else 1
        return result

    def stat(self, path):
        return ShellWrapper.stat(self, path).addCallback(self._count, False)

    def list(self, path):
        return ShellWrapper.list(self, path).addCallback(self._count)

    def listNames(self, path):
        return ShellWrapper.listNames(self, path)

    def listSome(self, path, names):
        return ShellWrapper.listSome(self, path, names).addCallback(
            self._count)


class WildcardCostTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{LIST dir/pattern} against a filesystem shell, with ftplib.
    """

    def setUp(self):
        root = scratchDirectory(self)
        os.mkdir(os.path.join(root, "many"))
        names = ["f%04d.dat" % number for number in range(OTHERS)]
        names += ["a.txt", "b.txt", "c.txt", ".hidden.txt"]
        for name in names:
            with open(os.path.join(root, "many", name), "wb") as f:
                f.write(name.encode())
        self.shell = DescribingCounter(FilesystemShell(root))

    def _list(self, config, *commands):
        """
        Log in and send C{LIST} commands (blocking).

        @return: the listing lines of each, or the text of the error reply.
        """
        server = self.startServer(SharedShellRealm(self.shell), config,
                                  users={"alice": "secret"})

        def client():
            with ftplibLogin(self, server.port, timeout=20) as ftp:
                return [listingLines(ftp, command) for command in commands]

        return self.inThread(client)

    @defer.inlineCallbacks
    def test_onlyMatchesDescribed(self):
        """
        C{LIST many/*.txt} describes the three entries it matches (the
        dotfile is not matched), and its lines are those of C{LIST many}
        for them, byte for byte.
        """
        [matched] = yield self._list(ServerConfig(), "LIST many/*.txt")
        self.assertEqual([line.split()[-1] for line in matched],
                         ["a.txt", "b.txt", "c.txt"])
        self.assertEqual(self.shell.described, 3)
        self.shell.described = 0
        [whole] = yield self._list(ServerConfig(), "LIST many")
        self.assertEqual(matched, [line for line in whole
                                   if line.endswith((" a.txt", " b.txt",
                                                     " c.txt"))])

    @defer.inlineCallbacks
    def test_hiddenDotfiles(self):
        """
        A pattern starting with C{.} matches dotfiles; under
        C{--hide-dotfiles} they are not there to match (C{550}), and
        nothing is described for them.
        """
        [shown] = yield self._list(ServerConfig(), "LIST many/.h*")
        self.assertEqual([line.split()[-1] for line in shown],
                         [".hidden.txt"])
        self.shell.described = 0
        [hidden] = yield self._list(ServerConfig(hideDotfiles=True),
                                    "LIST many/.h*")
        self.assertTrue(hidden.startswith("550 "), hidden)
        self.assertEqual(self.shell.described, 0)


class LongTailCostTests(unittest.TestCase):
    """
    A pattern of C{*} and then a long tail costs about what C{*x} does
    per name, not a name's length times the tail's: with
    C{fnmatch.translate}'s expression, C{*}, 253 C{?} and C{x} took
    80 to 160 times as long as C{*x} over names of 255 characters, two
    seconds of CPU in a directory of 50,000 entries.
    """

    def cost(self, pattern, names):
        """
        @return: the least CPU time of three matchings.
        """
        times = []
        for _ in range(3):
            started = time.thread_time()
            matchNames(pattern, names)
            times.append(time.thread_time() - started)
        return min(times)

    def test_longTails(self):
        """
        Tails of wildcards, characters or sets, none matching, each cost
        less than 30 times C{*x}.
        """
        names = ["%06d" % number + "a" * 249 for number in range(5000)]
        plain = self.cost("*x", names)
        for tail in ("?" * 253, "a" * 253, "[ab]" * 63):
            ratio = self.cost("*" + tail + "x", names) / plain
            self.assertLess(ratio, 30, tail[:4])
