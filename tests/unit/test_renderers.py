"""
Tests for L{ftpkit.ops.renderers}: a compiled log format gives what
C{str.format_map} gives, and raises what it raises.
"""

import io

from twisted.logger import LogLevel
from twisted.trial import unittest

from ftpkit.ops import events, renderers
from ftpkit.ops.eventlog import _FORMATS, TEXT_FORMATS, logFields
from ftpkit.ops.logformat import fileObserver
from ftpkit.ops.renderers import compileFormat, prepare, renderer

FIELDS = {
    "command": "RETR", "peer": "10.0.0.1", "user": "al'ice\n\"x\"",
    "path": "/{a}/b\\c", "code": 226, "bytes": 16384, "seconds": 0.0125,
    "count": 3, "bytes_in": 0, "bytes_out": 7, "reason": "full",
    "target": "/t", "host": "h", "log_text": "a {b} c", "m": "em",
}


class CompileFormatTests(unittest.TestCase):
    """
    L{compileFormat} compiles formats whose fields are plain names.
    """

    def assertSame(self, format, fields=FIELDS):
        """
        C{format} compiles, and renders C{fields} as C{format_map} does.
        """
        render = compileFormat(format)
        self.assertIsNotNone(render, format)
        self.assertEqual(render(fields), format.format_map(fields))

    def test_eventLogFormats(self):
        """
        Every format of the event log compiles, with its host and target
        suffixes.
        """
        for _, format, _ in _FORMATS.values():
            self.assertSame(format)
            self.assertSame(format + " to {target!r}")
            self.assertSame(format + " on host {host}")

    def test_conversionsAndSpecs(self):
        """
        Conversions, specs, both, repeated fields and escaped braces.
        """
        for format in ["{seconds:.3f}", "{user!r}", "{user!s:>30}",
                       "{user!a}", "{bytes:,}", "{code:#x} {code}",
                       "{{literal}} {m} }}{{", "", "no fields",
                       "quotes ' \" and \\ backslashes {m}",
                       "{log_text}", "{path!r:^40}"]:
            self.assertSame(format)

    def test_textIsNotCode(self):
        """
        The format's text is a value of the compiled function, never its
        source: text that would close an f-string or run code is
        rendered as text.
        """
        for format in ['"}} {{__import__("os")}} {{" {m}',
                       "'''{m}\"\"\"",
                       "{m}\\n{m}\\", "f{{m}}"]:
            self.assertSame(format)

    def test_notCompiled(self):
        """
        Attribute and index fields, positional fields, nested specs,
        unknown conversions and invalid formats are left to
        C{format_map}.
        """
        for format in ["{a.b}", "{a[0]}", "{0}", "{}", "{m:{code}}",
                       "{m!x}", "{m", "m}", "{m()}", "{1m}", "{a-b}"]:
            self.assertIsNone(compileFormat(format), format)

    def test_missingField(self):
        """
        A missing field raises C{KeyError}, as C{format_map} does.
        """
        self.assertRaises(KeyError, compileFormat("{nothere}"), FIELDS)

    def test_badSpec(self):
        """
        A spec the value does not take raises C{ValueError}, as
        C{format_map} does.
        """
        self.assertRaises(ValueError, compileFormat("{m:.3f}"), FIELDS)


class RendererTests(unittest.TestCase):
    """
    L{renderer} compiles each format once, and keeps a bounded number.
    """

    def setUp(self):
        self.patch(renderers, "kept", {})

    def test_kept(self):
        """
        A format is compiled once; one that does not compile is
        remembered as C{None}.
        """
        self.assertIs(renderer("{m}"), renderer("{m}"))
        self.assertIsNone(renderer("{a.b}"))
        self.assertIn("{a.b}", renderers.kept)

    def test_bounded(self):
        """
        Past L{renderers.RENDERERS_KEPT} formats, they start again.
        """
        self.patch(renderers, "RENDERERS_KEPT", 3)
        for n in range(7):
            self.assertEqual(renderer("%d {m}" % n)(FIELDS), "%d em" % n)
            self.assertLessEqual(len(renderers.kept), 3)


class PrepareTests(unittest.TestCase):
    """
    L{prepare} makes renderers ahead of their first line, and the text
    log observer makes those of the session events' lines when it is made.
    """

    def setUp(self):
        self.patch(renderers, "kept", {})

    def test_prepare(self):
        """
        A prepared format is rendered without compiling it again.
        """
        prepare(["a {m}", "{a.b}"])
        self.patch(renderers, "compileFormat", self.fail)
        self.assertEqual(renderer("a {m}")(FIELDS), "a em")
        self.assertIsNone(renderer("{a.b}"))
        self.assertEqual(set(renderers.kept), {"a {m}", "{a.b}"})

    def test_textObserverPrepares(self):
        """
        The first login and logout lines of a text log compile nothing:
        L{fileObserver} compiled every kind's format (L{TEXT_FORMATS}).
        """
        out = io.StringIO()
        observer = fileObserver(out, "text")
        self.assertEqual(len(TEXT_FORMATS), len(_FORMATS) + 2)
        compiled = []

        def compiling(format):
            compiled.append(format)
            return compileFormat(format)

        self.patch(renderers, "compileFormat", compiling)
        for kind in (events.LOGIN, events.LOGOUT):
            event = events.Event(
                kind, "10.0.0.1", user="bob", bytesIn=1, bytesOut=2,
                seconds=0.5)
            level, text, fields = logFields(event)
            fields.update(log_format=text, log_level=LogLevel.info,
                          log_namespace="ftpkit", log_time=0.0)
            observer(fields)
        self.assertEqual(compiled, [])
        lines = out.getvalue().splitlines()
        self.assertIn("login from 10.0.0.1 user 'bob'", lines[0])
        self.assertIn("logout from 10.0.0.1 user 'bob': 0.500 s, "
                      "1 bytes in, 2 bytes out", lines[1])
