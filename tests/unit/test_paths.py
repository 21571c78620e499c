"""
Tests for L{ftpkit.protocol.paths}.
"""

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import InvalidPath
from ftpkit.protocol.paths import (
    MAX_DEPTH,
    MAX_PATH_LENGTH,
    MAX_SEGMENT_LENGTH,
    basename,
    isWithin,
    namesDirectory,
    parent,
    resolve,
    toText,
)

_PATHY = st.lists(
    st.sampled_from(
        ["/", ".", "..", "a", "b c", "\\", "\x00", "\r", "\n", "\udcff", "\ud800", "é"]
    )
).map("".join)

_ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=())),
    _PATHY,
)

_SEGMENT = st.text(min_size=1, max_size=20).filter(
    lambda segment: segment not in (".", "..")
    and not any(character in segment for character in "/\x00\r\n")
)


class ResolveTests(SynchronousTestCase):
    """
    Tests for L{resolve}.
    """

    def test_absolute(self):
        """
        Text starting with a slash ignores the current directory.
        """
        self.assertEqual(resolve(("x", "y"), "/a/b"), ("a", "b"))

    def test_relative(self):
        """
        Other text is relative to the current directory.
        """
        self.assertEqual(resolve(("x",), "a/b"), ("x", "a", "b"))

    def test_empty(self):
        """
        Empty text is the current directory.
        """
        self.assertEqual(resolve(("x", "y"), ""), ("x", "y"))

    def test_root(self):
        """
        C{"/"} is the root.
        """
        self.assertEqual(resolve(("x",), "/"), ())

    def test_emptyAndDotSegments(self):
        """
        Empty and C{"."} segments are ignored.
        """
        self.assertEqual(resolve((), "//a/./b//./"), ("a", "b"))

    def test_dotDot(self):
        """
        C{".."} removes the previous segment.
        """
        self.assertEqual(resolve(("x", "y"), "../z"), ("x", "z"))
        self.assertEqual(resolve((), "/a/b/../c"), ("a", "c"))

    def test_dotDotClampsAtRoot(self):
        """
        C{".."} at the root stays at the root, and what follows is below it.
        """
        self.assertEqual(resolve(("x",), "../../../.."), ())
        self.assertEqual(resolve((), "/../../etc/passwd"), ("etc", "passwd"))

    def test_dotsInNamesAreNames(self):
        """
        Segments merely made of dots, other than C{"."} and C{".."}, are
        ordinary names.
        """
        self.assertEqual(resolve((), "..././.a"), ("...", ".a"))

    def test_backslashIsLiteral(self):
        """
        A backslash is an ordinary character, not a separator.
        """
        self.assertEqual(resolve((), "..\\..\\x"), ("..\\..\\x",))
        self.assertEqual(resolve(("a",), "b\\..\\.."), ("a", "b\\..\\.."))

    def test_tildeIsHome(self):
        """
        C{"~"} and text starting with C{"~/"} start at the root, the
        user's home; C{"~"} anywhere else is an ordinary character.
        """
        self.assertEqual(resolve(("a",), "~"), ())
        self.assertEqual(resolve(("a",), "~/"), ())
        self.assertEqual(resolve(("a",), "~/b/c"), ("b", "c"))
        self.assertEqual(resolve(("a",), "~/../b"), ("b",))
        self.assertEqual(resolve(("a",), "~b"), ("a", "~b"))
        self.assertEqual(resolve(("a",), "./~"), ("a", "~"))
        self.assertEqual(resolve(("a",), "b/~/c"), ("a", "b", "~", "c"))
        self.assertEqual(resolve(("a",), "/~"), ("~",))

    def test_forbiddenCharacters(self):
        """
        NUL, CR and LF anywhere raise L{InvalidPath}.
        """
        for text in ("a\x00b", "a\rb", "a\nb", "\x00", "/a/\n"):
            self.assertRaises(InvalidPath, resolve, (), text)

    def test_surrogateEscape(self):
        """
        Lone surrogates standing for undecodable bytes are kept.
        """
        self.assertEqual(resolve((), "caf\udce9"), ("caf\udce9",))

    def test_unencodableSurrogate(self):
        """
        A surrogate that stands for no byte is refused, not a crash.
        """
        self.assertRaises(InvalidPath, resolve, (), "a\ud800")

    def test_segmentLength(self):
        """
        A segment of L{MAX_SEGMENT_LENGTH} bytes is allowed, one more is
        refused, counting UTF-8 bytes rather than characters.
        """
        longest = "a" * MAX_SEGMENT_LENGTH
        self.assertEqual(resolve((), longest), (longest,))
        self.assertRaises(InvalidPath, resolve, (), longest + "a")
        wide = "\u00e9" * (MAX_SEGMENT_LENGTH // 2 + 1)
        self.assertRaises(InvalidPath, resolve, (), wide)
        self.assertRaises(InvalidPath, resolve, (), "\udcff" * (MAX_SEGMENT_LENGTH + 1))

    def test_segmentLengthCheckedEvenIfPopped(self):
        """
        An overlong segment is refused even when C{".."} would remove it.
        """
        self.assertRaises(InvalidPath, resolve, (), "a" * 300 + "/..")

    def test_textLength(self):
        """
        Text longer than L{MAX_PATH_LENGTH} is refused.
        """
        relative = ("x" * 31 + "/") * (MAX_PATH_LENGTH // 32)
        self.assertEqual(len(relative), MAX_PATH_LENGTH)
        self.assertEqual(len(resolve((), relative)), MAX_PATH_LENGTH // 32)
        self.assertRaises(InvalidPath, resolve, (), "/" + relative)

    def test_resultLength(self):
        """
        A relative path that would make the result longer than
        L{MAX_PATH_LENGTH} as text is refused.
        """
        cwd = ("a" * 200,) * 20
        self.assertRaises(InvalidPath, resolve, cwd, "b" * 200)

    def test_resultLengthBoundary(self):
        """
        A result of exactly L{MAX_PATH_LENGTH} characters as text is
        kept; one character more is refused.
        """
        cwd = ("a" * 200,) * 20
        kept = resolve(cwd, "b" * 75)
        self.assertEqual(len(toText(kept)), MAX_PATH_LENGTH)
        self.assertRaises(InvalidPath, resolve, cwd, "b" * 76)

    def test_depth(self):
        """
        More than L{MAX_DEPTH} segments are refused.
        """
        self.assertEqual(len(resolve((), "a/" * MAX_DEPTH)), MAX_DEPTH)
        self.assertRaises(InvalidPath, resolve, (), "a/" * (MAX_DEPTH + 1))
        self.assertRaises(InvalidPath, resolve, ("x",) * MAX_DEPTH, "a")

    @settings(deadline=None)
    @given(st.lists(_SEGMENT, max_size=5), _ANY_TEXT)
    def test_segmentsAlwaysSafe(self, cwd, text):
        """
        Whatever the text, the result has no empty, C{"."} or C{".."}
        segment and none holding C{"/"} or NUL; or L{InvalidPath} is
        raised.
        """
        try:
            result = resolve(tuple(cwd), text)
        except InvalidPath:
            return
        self.assertIsInstance(result, tuple)
        for segment in result:
            self.assertNotIn(segment, ("", ".", ".."))
            self.assertNotIn("/", segment)
            self.assertNotIn("\x00", segment)

    @settings(deadline=None)
    @given(_ANY_TEXT)
    def test_idempotent(self, text):
        """
        Resolving the text of a resolved path gives that path again.
        """
        try:
            result = resolve((), text)
        except InvalidPath:
            return
        self.assertEqual(resolve((), toText(result)), result)
        self.assertEqual(resolve(("elsewhere",), toText(result)), result)

    @settings(deadline=None)
    @given(st.lists(_SEGMENT, max_size=3),
           st.lists(st.sampled_from(["a", "bc", ".", "..", "", "x" * 30]),
                    max_size=5).map("/".join))
    def test_asciiAsTheSegmentsSay(self, cwd, text):
        """
        Short ASCII text, the usual name, resolves as the definition
        says segment by segment: empty and C{"."} ignored, C{".."} back
        one (not above the root), each other kept.
        """
        expected = [] if text.startswith("/") else list(cwd)
        for segment in text.split("/"):
            if segment == "..":
                expected[-1:] = []
            elif segment not in ("", "."):
                expected.append(segment)
        self.assertEqual(resolve(tuple(cwd), text), tuple(expected))


class HelperTests(SynchronousTestCase):
    """
    Tests for L{toText}, L{parent}, L{basename}, L{isWithin} and
    L{namesDirectory}.
    """

    def test_toText(self):
        """
        The root is C{"/"}, other paths are slash-joined after a slash.
        """
        self.assertEqual(toText(()), "/")
        self.assertEqual(toText(("a",)), "/a")
        self.assertEqual(toText(("a", "b c")), "/a/b c")

    def test_parent(self):
        """
        The parent drops the last segment; the root is its own parent.
        """
        self.assertEqual(parent(("a", "b")), ("a",))
        self.assertEqual(parent(("a",)), ())
        self.assertEqual(parent(()), ())

    def test_basename(self):
        """
        The basename is the last segment, C{""} for the root.
        """
        self.assertEqual(basename(("a", "b")), "b")
        self.assertEqual(basename(()), "")

    def test_namesDirectory(self):
        """
        Empty text, and text whose last segment is empty, C{.} or C{..},
        names a directory; a last segment merely holding dots does not.
        """
        for text in ("", ".", "..", "/", "a/", "a/.", "a/..", "//", "../."):
            self.assertTrue(namesDirectory(text), text)
        for text in ("a", "/a", "./a", "...", ".a", "a.", "../a"):
            self.assertFalse(namesDirectory(text), text)

    def test_isWithin(self):
        """
        A path is within itself and its ancestors, compared by segments.
        """
        self.assertTrue(isWithin(("a", "b"), ("a",)))
        self.assertTrue(isWithin(("a", "b"), ("a", "b")))
        self.assertTrue(isWithin(("a",), ()))
        self.assertTrue(isWithin((), ()))
        self.assertFalse(isWithin(("ab",), ("a",)))
        self.assertFalse(isWithin(("a",), ("a", "b")))
        self.assertFalse(isWithin((), ("a",)))
        self.assertFalse(isWithin(("b", "a"), ("a",)))
