"""
Tests for L{ftpkit.protocol.listingtree} (recursive listings' lines) and
the walk of L{ftpkit.shells.treelisting.TreeListing}, over a memory shell
whose calls answer at once.
"""

import os

from twisted.internet.defer import fail, maybeDeferred, succeed
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.data.movers.listings import ListingReadFile
from ftpkit.errors import PermissionDenied
from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo
from ftpkit.protocol.listing import ListFormat, NamesFormat
from ftpkit.protocol.listingtree import (
    TreeLimits,
    childText,
    descendable,
    firstLines,
    header,
    isRecursive,
    lineCount,
    statusLimits,
    topText,
    truncatedReply,
)
from ftpkit.shells.listings import cacheKeyOf, openListing
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.treelisting import TreeListing, WalkFormat


class LinesTests(SynchronousTestCase):
    """
    The pure parts: options, headers, names.
    """

    def test_isRecursive(self):
        """
        C{R} among the options asks for a recursive listing, alone or
        combined, unless the depth allowed is C{0}.
        """
        limits = TreeLimits()
        for letters in ["R", "lR", "aR", "Rla", "laR"]:
            self.assertTrue(isRecursive(letters, limits), letters)
        for letters in ["", "l", "la", "r"]:
            self.assertFalse(isRecursive(letters, limits), letters)
        self.assertFalse(isRecursive("R", TreeLimits(depth=0)))

    def test_topText(self):
        """
        The first header names the directory exactly as the client wrote
        it, as GNU C{ls -R dir/} prints C{"dir/:"} (trailing and doubled
        slashes, a leading C{"./"} kept), the current one C{"."}.
        """
        for written, shown in [("", "."), (".", "."), ("a", "a"),
                               ("a/", "a/"), ("a//", "a//"), ("/", "/"),
                               ("//a//b/", "//a//b/"), ("./a", "./a")]:
            self.assertEqual(topText(written), shown, written)

    def test_childTextUnderTop(self):
        """
        Below a first header written with trailing slashes, the
        subdirectories' headers have one slash before their names, as
        C{ls -R dir//} prints C{"dir/sub:"}.
        """
        for written, shown in [("a/", "a/b"), ("a//", "a/b"), ("/", "/b"),
                               ("./a", "./a/b"), ("", "./b")]:
            self.assertEqual(childText(topText(written), "b"), shown,
                             written)

    def test_childText(self):
        """
        A subdirectory's header is its parent's joined with its name.
        """
        self.assertEqual(childText(".", "b"), "./b")
        self.assertEqual(childText("/", "b"), "/b")
        self.assertEqual(childText("a/b", "c d"), "a/b/c d")

    def test_header(self):
        """
        The first header has no blank line before it, the others one.
        """
        self.assertEqual(header(".", True), b".:\r\n")
        self.assertEqual(header("./\u00e9", False),
                         b"\r\n./\xc3\xa9:\r\n")

    def test_descendable(self):
        """
        Only directories are gone into, and none whose name holds CR or
        LF (left out of the listing, so its header could not name it).
        """
        self.assertTrue(descendable("d", True))
        self.assertFalse(descendable("f", False))
        self.assertFalse(descendable("a\nb", True))
        self.assertFalse(descendable("a\rb", True))

    def test_lineCount(self):
        """
        A formatted batch shows one entry a line.
        """
        self.assertEqual(lineCount(b""), 0)
        self.assertEqual(lineCount(b"a\r\nb c\r\n"), 2)

    def test_firstLines(self):
        """
        The first lines of a formatted batch, whole.
        """
        data = b"-rw a\r\n-rw b\r\ndrw c\r\n"
        self.assertEqual(firstLines(data, 0), b"")
        self.assertEqual(firstLines(data, 1), b"-rw a\r\n")
        self.assertEqual(firstLines(data, 2), b"-rw a\r\n-rw b\r\n")

    def test_statusLimits(self):
        """
        C{STAT -R} goes as deep as C{LIST -R}, and lists the fewer
        entries of its bounds and C{STAT}'s.
        """
        self.assertEqual(statusLimits(TreeLimits(3, 50), 20),
                         TreeLimits(3, 20))
        self.assertEqual(statusLimits(TreeLimits(3, 50), 2000),
                         TreeLimits(3, 50))

    def test_truncatedReply(self):
        """
        A listing cut by the limits ends with a 226 that says so, and
        names them.
        """
        code, text = truncatedReply(TreeLimits(3, 50))
        self.assertEqual(code, 226)
        self.assertIn("truncated", text)
        self.assertIn("50", text)
        self.assertIn("3", text)


def _stat(mode):
    """
    @return: an C{os.stat} result of that mode, for a format's C{stats}.
    """
    return os.stat_result((mode, 0, 0, 1, 0, 0, 3, 0, 1_700_000_000, 0))


class WalkFormatTests(SynchronousTestCase):
    """
    L{WalkFormat} notes the subdirectories it formats, and formats as
    the command's format does, under its cache key.
    """

    def test_entries(self):
        """
        From C{FileInfo} values: the directories' names, none holding CR
        or LF; the bytes of the command's format.
        """
        batch = [("f", FileInfo(FILE)), ("d", FileInfo(DIRECTORY)),
                 ("a\nb", FileInfo(DIRECTORY))]
        walking = WalkFormat(ListFormat(0))
        self.assertEqual(walking.entries(batch),
                         ListFormat(0).entries(batch))
        self.assertEqual(walking.below, ["d"])

    def test_stats(self):
        """
        From C{os.stat} results: the same.
        """
        batch = [("f", _stat(0o100644)), ("d", _stat(0o040755)),
                 ("a\rb", _stat(0o040755))]
        walking = WalkFormat(ListFormat(0))
        self.assertEqual(walking.stats(batch, str, str),
                         ListFormat(0).stats(batch, str, str))
        self.assertEqual(walking.below, ["d"])

    def test_cacheKey(self):
        """
        Its lines are cached under the command's format's key, as a
        plain listing's; not at all for a format without one.
        """
        self.assertEqual(cacheKeyOf(WalkFormat(ListFormat(0)), "stats"),
                         cacheKeyOf(ListFormat(0), "stats"))

        class Unkeyed(NamesFormat):
            def stats(self, batch, owner, group):
                return b""

        self.assertIsNone(cacheKeyOf(WalkFormat(Unkeyed()), "stats"))
        walking, plain = WalkFormat(ListFormat(5)), ListFormat(5)
        self.assertEqual(walking.cacheStamp(), plain.cacheStamp())
        self.assertEqual(walking.linesKept(0, [1.0]),
                         plain.linesKept(0, [1.0]))


DEFAULT_LIMITS = TreeLimits()


def walk(shell, path=(), text=".", limits=DEFAULT_LIMITS, links=None,
         refused=()):
    """
    Walk a shell whose calls answer at once.

    @param links: the names of links by directory path, or C{None} for a
        shell without links.
    @param refused: paths whose listing is refused.
    @return: the L{TreeListing}, and the lines it gave.
    """

    def openAt(where):
        if where in refused:
            return fail(PermissionDenied())
        return maybeDeferred(openListing, shell, where)

    def linksIn(where):
        return None if links is None else succeed(links.get(where, {}))

    first = SynchronousTestCase().successResultOf(openAt(path))
    tree = TreeListing(first, path, text, openAt, linksIn, limits)
    data = [tree.first()]
    while True:
        step = SynchronousTestCase().successResultOf(
            tree.nextFormattedBatch(NamesFormat()))
        if step is None:
            break
        data.append(step)
    return tree, b"".join(data).decode().split("\r\n")[:-1]


class WalkTests(SynchronousTestCase):
    """
    L{TreeListing} walks depth first, as C{ls -R} prints.
    """

    def test_depthFirst(self):
        """
        Each directory's entries, sorted, then each of its subdirectories
        in order, each after a blank line and its header.
        """
        shell = MemoryShell({"/b/y": b"", "/a/x/f": b"", "/a/g": b"",
                             "/c": b"", "/a/w/h": b""})
        tree, lines = walk(shell)
        self.assertEqual(lines, [
            ".:", "a", "b", "c",
            "", "./a:", "g", "w", "x",
            "", "./a/w:", "h",
            "", "./a/x:", "f",
            "", "./b:", "y"])
        self.assertFalse(tree.truncated)

    def test_depth(self):
        """
        Directories deeper than the limit are listed, not gone into, and
        the walk says it was cut.
        """
        shell = MemoryShell({"/a/b/c/d": b""})
        tree, lines = walk(shell, limits=TreeLimits(depth=2))
        self.assertEqual(lines, [".:", "a", "", "./a:", "b", "",
                                 "./a/b:", "c"])
        self.assertTrue(tree.truncated)
        tree, lines = walk(shell, limits=TreeLimits(depth=3))
        self.assertEqual(lines[-2:], ["./a/b/c:", "d"])
        self.assertFalse(tree.truncated)

    def test_entries(self):
        """
        The walk ends once it has sent as many entries as the limit, and
        says it was cut; a tree of exactly that many is not cut.
        """
        shell = MemoryShell({"/a/1": b"", "/a/2": b"", "/b": b""})
        tree, lines = walk(shell, limits=TreeLimits(entries=3))
        self.assertEqual(lines, [".:", "a", "b", "", "./a:", "1"])
        self.assertTrue(tree.truncated)
        tree, lines = walk(shell, limits=TreeLimits(entries=4))
        self.assertEqual(lines, [".:", "a", "b", "", "./a:", "1", "2"])
        self.assertFalse(tree.truncated)
        tree, lines = walk(MemoryShell({"/a/1": b"", "/b/2": b""}),
                           limits=TreeLimits(entries=3))
        self.assertEqual(lines, [".:", "a", "b", "", "./a:", "1"])
        self.assertTrue(tree.truncated)

    def test_links(self):
        """
        A directory the shell names as a symbolic link is listed, not
        gone into.
        """
        shell = MemoryShell({"/a/loop/f": b"", "/a/real/g": b""})
        tree, lines = walk(shell, links={("a",): {"loop": ()}})
        self.assertEqual(lines, [".:", "a", "", "./a:", "loop", "real",
                                 "", "./a/real:", "g"])

    def test_refused(self):
        """
        A directory the shell refuses to list shows its header alone,
        and the walk goes on.
        """
        shell = MemoryShell({"/a/f": b"", "/b/g": b""})
        tree, lines = walk(shell, refused={("a",)})
        self.assertEqual(lines, [".:", "a", "b", "", "./a:", "",
                                 "./b:", "g"])

    def test_close(self):
        """
        Closed, the walk closes the listing it reads and gives no more.
        """
        shell = MemoryShell({"/a/f": b""})
        closed = []
        first = self.successResultOf(maybeDeferred(openListing, shell, ()))
        first.close = lambda: closed.append(True)
        tree = TreeListing(first, (), ".", None, None, TreeLimits())
        tree.close()
        tree.close()
        self.assertEqual(closed, [True])
        self.assertIsNone(self.successResultOf(
            tree.nextFormattedBatch(NamesFormat())))


class Consumer:
    """
    A consumer that takes writes until paused by the test.
    """

    def __init__(self):
        self.written = []
        self.producer = None

    def registerProducer(self, producer, streaming):
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None

    def write(self, data):
        self.written.append(data)


class BackpressureTests(SynchronousTestCase):
    """
    Sent through L{ListingReadFile}, the walk reads no further while the
    data connection is paused.
    """

    def test_paused(self):
        """
        A paused consumer stops the walk where it is: the directories
        below are opened only as it resumes.
        """
        shell = MemoryShell({"/%03d/f" % number: b"" for number in
                             range(100)})
        opened = []

        def openAt(where):
            opened.append(where)
            return maybeDeferred(openListing, shell, where)

        first = self.successResultOf(openAt(()))
        tree = TreeListing(first, (), ".", openAt, lambda where: None,
                           TreeLimits())
        consumer = Consumer()
        readFile = ListingReadFile(tree, NamesFormat(), tree.first(),
                                   formatted=True)
        consumer.write = lambda data: (consumer.written.append(data),
                                       readFile.pauseProducing())
        done = readFile.send(consumer)
        self.assertNoResult(done)
        self.assertEqual(opened, [()])
        readFile.resumeProducing()
        readFile.resumeProducing()
        self.assertEqual(opened, [(), ("000",)])
        consumer.write = consumer.written.append
        readFile.resumeProducing()
        self.assertEqual(self.successResultOf(done),
                         len(b"".join(consumer.written)))
        self.assertEqual(len(opened), 101)
        readFile.close()


class OptionsTests(SynchronousTestCase):
    """
    C{--recursive-listing-depth} and C{--recursive-listing-entries}.
    """

    def test_values(self):
        """
        The defaults, a depth and a number of entries, a depth of C{0}.
        """
        from tests.tapoptions import parse

        def limits(*args):
            return parse("--auth", "anonymous", *args)[
                "config"].listingTreeLimits

        self.assertEqual(limits(), TreeLimits())
        self.assertEqual(limits("--recursive-listing-depth", "3",
                                "--recursive-listing-entries", "500"),
                         TreeLimits(3, 500))
        self.assertEqual(limits("--recursive-listing-depth", "0"),
                         TreeLimits(0, TreeLimits().entries))

    def test_badValues(self):
        """
        A value that is not a count is a usage error naming the option.
        """
        from tests.unit.test_tapbadvalues import BadValueTests

        checker = BadValueTests()
        for option, values in [("--recursive-listing-depth", ["-1", "x"]),
                               ("--recursive-listing-entries",
                                ["0", "-1", "x"])]:
            for value in values:
                message = checker.assertRejected(
                    option, "--auth", "anonymous", option, value)
                self.assertIn(repr(value), message)
