"""
Tests for L{ftpkit.protocol.globbing} and L{ftpkit.control.handlers.listed}:
wildcards and leading dashes in C{LIST}, C{NLST} and C{STAT} arguments.
"""

import fnmatch
import random
import re

from twisted.internet import defer
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer_only

from ftpkit.control.handlers.listed import findListed
from ftpkit.control.turns import Turn, Turns
from ftpkit.errors import NoSuchFile, NotDirectory
from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShell,
    IFTPShellStreamedListing,
)
from ftpkit.protocol.globbing import (
    NameMatch,
    hasMagic,
    matchNames,
    splitPattern,
    translate,
)
from ftpkit.shells.listings import WholeListing, readListing
from ftpkit.shells.memory import MemoryShell


class PatternTests(SynchronousTestCase):
    """
    Tests for L{hasMagic}, L{splitPattern} and L{matchNames}.
    """

    def test_hasMagic(self):
        """
        C{*}, C{?} and C{[} are wildcards; nothing else is.
        """
        for text in ("*.txt", "a?", "[ab]", "dir/*"):
            self.assertTrue(hasMagic(text), text)
        for text in ("", "a.txt", "-la", "dir with space", "a]b", "{a,b}"):
            self.assertFalse(hasMagic(text), text)

    def test_splitPattern(self):
        """
        The last segment is the pattern, the rest the directory as
        written, with its slash.
        """
        self.assertEqual(splitPattern("*.txt"), ("", "*.txt"))
        self.assertEqual(splitPattern("sub/*.txt"), ("sub/", "*.txt"))
        self.assertEqual(splitPattern("/a/b/f?"), ("/a/b/", "f?"))

    def test_splitPatternNone(self):
        """
        No wildcard, or one in a directory segment: no pattern.
        """
        self.assertIsNone(splitPattern("a.txt"))
        self.assertIsNone(splitPattern("sub/"))
        self.assertIsNone(splitPattern("*/a.txt"))
        self.assertIsNone(splitPattern("s*/*.txt"))

    def test_matchNames(self):
        """
        Matching is case-sensitive and keeps the names' order.
        """
        names = ["b.txt", "a.txt", "A.TXT", "c.bin", "ab.txt"]
        self.assertEqual(matchNames("*.txt", names),
                         ["b.txt", "a.txt", "ab.txt"])
        self.assertEqual(matchNames("?.txt", names), ["b.txt", "a.txt"])
        self.assertEqual(matchNames("[ac]*", names),
                         ["a.txt", "c.bin", "ab.txt"])
        self.assertEqual(matchNames("[!a]*", names),
                         ["b.txt", "A.TXT", "c.bin"])

    def test_dotNamesNeedADot(self):
        """
        A wildcard does not match a leading C{.}; a pattern starting with
        one does.
        """
        names = [".hidden", "shown", ".also.txt"]
        self.assertEqual(matchNames("*", names), ["shown"])
        self.assertEqual(matchNames(".*", names), [".hidden", ".also.txt"])

    def test_nameMatch(self):
        """
        L{NameMatch} tests each name as L{matchNames} picks them, and is
        cached under its pattern.
        """
        names = [".hidden", "shown", ".also.txt", "b.txt", "A.TXT", "ab"]
        for pattern in ["*", ".*", "*.txt", "[!a]*", "?b", "*[xt]"]:
            test = NameMatch(pattern)
            self.assertEqual([name for name in names if test(name)],
                             matchNames(pattern, names), pattern)
            self.assertEqual(test.cacheKey(), ("glob", pattern))
        self.assertNotEqual(NameMatch("*").cacheKey(),
                            NameMatch("*.txt").cacheKey())


class TranslateTests(SynchronousTestCase):
    """
    L{translate} matches what L{fnmatch.translate} matches.
    """

    def assertSameMatches(self, pattern, name):
        expected = re.match(fnmatch.translate(pattern), name) is not None
        self.assertEqual(re.match(translate(pattern), name) is not None,
                         expected, (pattern, name))

    def test_sets(self):
        """
        Sets, closed or not, holding C{*}, C{]} or C{!}, end a pattern as
        C{fnmatch} reads them.
        """
        names = ["", "x", "*", "]", "a]", "!x", "[x", "ab*", "a[", "-",
                 "a]]", "z!]"]
        patterns = ["*[*]", "*[!]x]", "*[", "*]", "*[]]", "*[!]", "*[]-]",
                    "a*[", "*[a-]", "*[z-a]", "*?]", "*[!*]*]", "[*]*]",
                    "*\\?", "*[[]"]
        for pattern in patterns:
            for name in names:
                self.assertSameMatches(pattern, name)

    def test_random(self):
        """
        Random patterns of wildcards, set characters and others, on
        random names of the same characters.
        """
        chooser = random.Random(7)
        letters = "ab]![-*?.\\^"
        for _ in range(20000):
            pattern = "".join(chooser.choice(letters)
                              for _ in range(chooser.randint(1, 9)))
            name = "".join(chooser.choice(letters)
                           for _ in range(chooser.randint(0, 9)))
            self.assertSameMatches(pattern, name)


def listed(shell, argument, cwd=(), namesOnly=False, streamed=False,
           directoryOption=False):
    """
    @return: the L{Listed} of C{argument}, or raise what it failed with.
    """
    result = defer.ensureDeferred(
        findListed(shell, cwd, argument, Turn(Turns(), "client", None),
                   defer.maybeDeferred, namesOnly, streamed,
                   directoryOption))
    failures = []
    values = []
    result.addCallbacks(values.append, failures.append)
    if failures:
        failures[0].raiseException()
    return values[0]


class FindListedTests(SynchronousTestCase):
    """
    Tests for L{findListed}.
    """

    def setUp(self):
        self.shell = MemoryShell({
            "/a.txt": b"a", "/b.txt": b"b", "/c.bin": b"c",
            "/.dot.txt": b"", "/sub/x.txt": b"x", "/sub/y.bin": b"y",
            "/-dir/inside.txt": b"i", "/-dash.txt": b"d", "/lit[1].txt": b"",
        })

    def test_directory(self):
        """
        A directory, with or without options, is listed whole.
        """
        for argument in ("", "-la", "-l -a /", "/"):
            result = listed(self.shell, argument, namesOnly=True)
            self.assertEqual(result.path, ())
            self.assertIn("sub", result.entries)
            self.assertIsNone(result.prefix)
            self.assertTrue(result.isDirectory)
        result = listed(self.shell, "-la sub")
        self.assertEqual([name for name, _ in result.entries],
                         ["x.txt", "y.bin"])

    def test_file(self):
        """
        A file is shown alone.
        """
        result = listed(self.shell, "sub/x.txt")
        self.assertEqual(result.path, ("sub", "x.txt"))
        self.assertEqual([name for name, _ in result.entries], ["x.txt"])
        self.assertFalse(result.isDirectory)

    def test_leadingDash(self):
        """
        A name starting with C{-} that exists as written is that name, not
        options: C{LIST -dir} lists the directory C{-dir}.
        """
        result = listed(self.shell, "-dir", namesOnly=True)
        self.assertEqual((result.path, result.entries),
                         (("-dir",), ["inside.txt"]))
        result = listed(self.shell, "-dash.txt", namesOnly=True)
        self.assertEqual((result.path, result.entries),
                         (("-dash.txt",), ["-dash.txt"]))
        self.assertEqual(listed(self.shell, "-- -dir").path, ("-dir",))

    def test_optionClustersStayOptions(self):
        """
        An entry named as an option cluster clients send alone (C{-a},
        C{-la}) does not replace the listing they ask for with C{LIST -a}
        (a user who may upload could hide a directory from wget); it is
        named as C{./-a}.
        """
        shell = MemoryShell({"/a.txt": b"a", "/-a": b"x",
                             "/-la/in.txt": b"i"})
        for argument in ("-a", "-la"):
            result = listed(shell, argument, namesOnly=True)
            self.assertEqual(result.path, ())
            self.assertIn("a.txt", result.entries)
        self.assertEqual(listed(shell, "./-a").path, ("-a",))
        self.assertEqual(listed(shell, "./-la", namesOnly=True).entries,
                         ["in.txt"])

    def test_optionsWhenNoSuchName(self):
        """
        Options naming nothing are options.
        """
        self.assertEqual(listed(self.shell, "-nosuch").path, ())
        self.assertEqual(listed(self.shell, "-l -dir").path, ())

    def test_optionsBeforeDotDot(self):
        """
        An argument starting with C{-} is a name only when its first
        segment exists as written: C{-d sub/..} is C{-d} and C{sub/..},
        though C{"-d sub/.."} resolves to an existing directory (C{/}) as
        one name; it was taken as that name, its options dropped (C{STAT
        -d sub/..} listed C{/} whole, C{LIST -t sub/..} by name).
        """
        result = listed(self.shell, "-d sub/..", directoryOption=True)
        [(shown, info)] = result.entries
        self.assertEqual((shown, result.path, result.text),
                         ("sub/..", (), "sub/.."))
        self.assertEqual(listed(self.shell, "-t sub/..").text, "sub/..")
        self.assertEqual(listed(self.shell, "-dir/..").text, "-dir/..")

    def test_directoryItself(self):
        """
        With C{directoryOption}, C{-d} among the options (C{LIST -ld sub})
        shows a directory as its one entry, named as written (C{"."} for
        none), as C{ls -d}, ProFTPD and Pure-FTPd do (GNOME's C{ftp:}
        method asks C{LIST -ldL path}); it was listed whole.
        """
        for streamed in (False, True):
            for argument, name, path in [("-d sub", "sub", ("sub",)),
                                         ("-lad sub/", "sub/", ("sub",)),
                                         ("-ldL /sub", "/sub", ("sub",)),
                                         ("-l -d", ".", ()),
                                         ("-dR /", "/", ()),
                                         ("-d -- -dir", "-dir", ("-dir",))]:
                result = listed(self.shell, argument, streamed=streamed,
                                directoryOption=True)
                [(shown, info)] = result.entries
                self.assertEqual((shown, result.path), (name, path))
                self.assertTrue(info.isDirectory)
                self.assertFalse(result.isDirectory)

    def test_directoryOptionElsewhere(self):
        """
        C{-d} changes nothing for a file, a pattern's matches, a name
        starting with C{-} taken as written, or without
        C{directoryOption} (C{NLST}'s, as ProFTPD's and Pure-FTPd's).
        """
        result = listed(self.shell, "-ld sub/x.txt", directoryOption=True)
        self.assertEqual([name for name, _ in result.entries], ["x.txt"])
        result = listed(self.shell, "-d sub/*.bin", directoryOption=True)
        self.assertEqual(([name for name, _ in result.entries],
                          result.prefix), (["y.bin"], "sub/"))
        result = listed(self.shell, "-dir", namesOnly=True,
                        directoryOption=True)
        self.assertEqual(result.entries, ["inside.txt"])
        result = listed(self.shell, "-d sub", namesOnly=True)
        self.assertEqual(result.entries, ["x.txt", "y.bin"])

    def test_pattern(self):
        """
        A pattern gives the matching entries and its directory as written.
        """
        result = listed(self.shell, "*.txt", namesOnly=True)
        self.assertEqual((result.path, result.entries, result.prefix),
                         ((), ["-dash.txt", "a.txt", "b.txt", "lit[1].txt"],
                          ""))
        result = listed(self.shell, "-l sub/*.bin")
        self.assertEqual(result.path, ("sub",))
        self.assertEqual([name for name, _ in result.entries], ["y.bin"])
        self.assertEqual(result.prefix, "sub/")
        result = listed(self.shell, "/sub/?.txt", cwd=("sub",),
                        namesOnly=True)
        self.assertEqual((result.entries, result.prefix),
                         (["x.txt"], "/sub/"))

    def test_literalBeforePattern(self):
        """
        A name holding wildcard characters that exists is itself.
        """
        result = listed(self.shell, "lit[1].txt", namesOnly=True)
        self.assertEqual((result.entries, result.prefix),
                         (["lit[1].txt"], None))

    def test_noMatch(self):
        """
        A pattern matching nothing, or in a directory that does not exist,
        is L{NoSuchFile}; in a file, L{NotDirectory}.
        """
        self.assertRaises(NoSuchFile, listed, self.shell, "*.none")
        self.assertRaises(NoSuchFile, listed, self.shell, "nodir/*.txt")
        self.assertRaises(NotDirectory, listed, self.shell, "a.txt/*")
        self.assertRaises(NoSuchFile, listed, self.shell, "nosuch.txt")


class PatternCacheTests(SynchronousTestCase):
    """
    Patterns come from clients: matching them keeps no unbounded cache.
    """

    def test_fnmatchCacheUntouched(self):
        """
        L{matchNames} leaves C{fnmatch}'s pattern cache (32,768 entries)
        alone, so distinct patterns cannot make the server grow.
        """
        fnmatch._compile_pattern.cache_clear()
        for n in range(50):
            matchNames(f"x{n}*", ["x1", "x10", "y"])
        self.assertEqual(fnmatch._compile_pattern.cache_info().currsize, 0)


@implementer_only(IFTPShell, IFTPShellStreamedListing)
class CountingMemoryShell(MemoryShell):
    """
    A memory shell listing in batches of two, with neither names alone
    nor some entries described, as the fsspec shell: counts the batches
    read, and would fail to list whole.
    """

    batches = 0
    opened = 0

    def openListing(self, path):
        self.opened += 1

        def counted(listing):
            read = listing.nextBatch

            def nextBatch():
                self.batches += 1
                return read()

            listing.nextBatch = nextBatch
            return listing

        return MemoryShell.list(self, path).addCallback(
            WholeListing, 2).addCallback(counted)

    def list(self, path):
        raise AssertionError("listed whole")


class StreamedPatternTests(SynchronousTestCase):
    """
    A pattern over a shell listing in batches whose listings do not name
    entries alone (L{ftpkit.interfaces.INameListing}) is matched a batch
    at a time, as its listing comes: it was listed whole (every key of an
    object store's prefix, described) before the first match was sent.
    """

    def setUp(self):
        self.shell = CountingMemoryShell(
            {"/d/f%02d" % number: b"" for number in range(20)})

    def test_matchedInBatches(self):
        """
        The first batch with a match is read; the rest only as asked for.
        """
        for namesOnly in (False, True):
            self.shell.batches = 0
            result = listed(self.shell, "d/f1*", namesOnly=namesOnly,
                            streamed=True)
            self.assertTrue(IDirectoryListing.providedBy(result.entries))
            self.assertLess(self.shell.batches, 10)
            entries = self.successResultOf(defer.ensureDeferred(
                readListing(result.entries, 100)))
            self.assertEqual([name for name, _ in entries],
                             ["f%02d" % number for number in range(10, 20)])

    def test_noMatch(self):
        """
        Nothing matched: L{NoSuchFile}, as before.
        """
        self.assertRaises(NoSuchFile, listed, self.shell, "d/x*",
                          streamed=True)

    def test_namesOpenedOnce(self):
        """
        C{NLST} of a directory of such a shell opens one listing of it:
        it opened one to learn whether it named its entries, closed it and
        opened another (an object store's first page asked for twice).
        """
        result = listed(self.shell, "d", namesOnly=True, streamed=True)
        entries = self.successResultOf(defer.ensureDeferred(
            readListing(result.entries, 100)))
        self.assertEqual(len(entries), 20)
        self.assertEqual(self.shell.opened, 1)
