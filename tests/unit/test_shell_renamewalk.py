"""
Tests for the bound on the walk with which the disk realm's rename of a
directory looks for an upload's held temporary file below it
(L{ftpkit.shells.uploadlocks.heldBelow}, L{uploadlocks.WALK_LIMIT}).
"""

import os
import threading

from twisted.cred.portal import Portal
from twisted.internet import defer, threads
from twisted.internet.task import Clock
from twisted.logger import capturedLogs, formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.errors import FileBusy
from ftpkit.ops.events import EventHub
from ftpkit.shells import uploadlocks, uploads
from ftpkit.shells.diskplacing import UPLOAD_BELOW
from ftpkit.shells.filesystem import FilesystemShell
from tests.scratch import scratchDirectory

FILES = 5
"""The plain files in the renamed directory, beside the subdirectory
where the upload writes."""


class RenameWalkTests(unittest.TestCase):
    """
    A directory C{top} holding L{FILES} files and C{top/deep}, into which
    an upload writes a held temporary file, is renamed (the blocking part
    of L{FilesystemShell.rename}).
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        top = os.path.join(self.root, b"top")
        os.makedirs(os.path.join(top, b"deep"))
        for index in range(FILES):
            with open(os.path.join(top, b"f%d" % index), "wb"):
                pass
        fd, _ = uploads.createTemporary(os.path.join(top, b"deep", b"up"))
        self.addCleanup(os.close, fd)
        self.shell = FilesystemShell(self.root)
        # The process's throttle of the lines, fresh for each test (its
        # minutes on the reactor's clock, or self.clock's).
        self.clock = Clock()
        self.patch(uploadlocks, "walkCuts", uploadlocks.WalkCuts())

    def rename(self):
        """
        Rename C{top} to C{moved}.
        """
        self.shell._rename(["top"], ["moved"])

    def test_heldWithinBound(self):
        """
        The upload's file, within the bound, refuses the rename with
        C{450} and says why; nothing is renamed.
        """
        self.patch(uploadlocks, "WALK_LIMIT", FILES + 2)
        with capturedLogs() as events:
            error = self.assertRaises(FileBusy, self.rename)
        self.assertEqual(error.args, (UPLOAD_BELOW,))
        self.assertTrue(os.path.isdir(os.path.join(self.root, b"top")))
        self.assertEqual(self.walksCut(events), [])

    def walksCut(self, events):
        """
        @param events: the log events captured.
        @return: the text of each L{uploadlocks.RENAME_WALK_CUT} event.
        """
        return [formatEvent(event) for event in events
                if event.get("ftpkit_event") == uploadlocks.RENAME_WALK_CUT]

    def test_pastBound(self):
        """
        The walk looks at L{uploadlocks.WALK_LIMIT} entries and no more:
        it stops in C{top}, among its files (the subdirectory is read
        after them), and the rename goes on, the upload's file with it,
        logged as one L{uploadlocks.RENAME_WALK_CUT} event (it went on
        without a word), tagged C{[ftpkit#info]} with the fields
        docs/logging.rst names.
        """
        self.patch(uploadlocks, "WALK_LIMIT", FILES)
        with capturedLogs() as events:
            self.rename()
        self.assertEqual(os.listdir(self.root), [b"moved"])
        top = os.path.join(os.path.realpath(self.root), b"top").decode()
        self.assertEqual(self.walksCut(events), [
            f"renaming {top}: uploads below it looked for in its first "
            f"{FILES} entries only"])
        [cut] = [event for event in events
                 if event.get("ftpkit_event") == uploadlocks.RENAME_WALK_CUT]
        self.assertEqual((cut["log_namespace"], cut["log_level"].name,
                          cut["directory"], cut["entries"]),
                         ("ftpkit", "info", top, FILES))

    @defer.inlineCallbacks
    def test_pastBoundInThread(self):
        """
        Past the bound in a disk thread (where the rename's walk runs),
        the event is logged in the reactor's thread, whose log observers
        are not thread-safe, before the walk's answer comes back.
        """
        self.patch(uploadlocks, "WALK_LIMIT", FILES)
        logged = []

        def observe(event):
            if event.get("ftpkit_event") == uploadlocks.RENAME_WALK_CUT:
                logged.append(threading.current_thread())

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        held = yield threads.deferToThread(
            uploadlocks.heldBelow, os.path.join(self.root, b"top"))
        self.assertFalse(held)
        self.assertEqual(logged, [threading.main_thread()])

    def test_boundStopsInDirectory(self):
        """
        A directory holding more entries than the bound is not read
        whole: the walk takes one entry past the bound, and stops.
        """
        self.patch(uploadlocks, "WALK_LIMIT", 2)
        taken = []
        real = os.scandir

        class Counted:
            def __init__(self, path):
                self._entries = real(path)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self._entries.close()

            def __iter__(self):
                return self

            def __next__(self):
                entry = next(self._entries)
                taken.append(entry.name)
                return entry

        self.patch(os, "scandir", Counted)
        self.assertFalse(uploadlocks.heldBelow(
            os.path.join(self.root, b"top")))
        self.assertEqual(len(taken), 3)

    def test_linesBounded(self):
        """
        300 renames of the directory past the bound (a client repeating
        C{RNFR} and C{RNTO}) log L{uploadlocks.WALK_CUT_LINES} lines in
        their minute, and once it is over one
        L{uploadlocks.RENAME_WALK_CUTS_NOT_LOGGED} line counting the
        others; the first line after it starts the count again. They
        logged a line each.
        """
        self.patch(uploadlocks, "WALK_LIMIT", FILES)
        self.patch(uploadlocks, "walkCuts", uploadlocks.WalkCuts(self.clock))
        names = [["top"], ["moved"]]
        with capturedLogs() as events:
            for _ in range(300):
                self.shell._rename(*names)
                names.reverse()
            self.assertEqual(len(self.walksCut(events)),
                             uploadlocks.WALK_CUT_LINES)
            self.clock.advance(60)
            self.shell._rename(*names)
        summaries = [formatEvent(event) for event in events
                     if event.get("ftpkit_event")
                     == uploadlocks.RENAME_WALK_CUTS_NOT_LOGGED]
        self.assertEqual(summaries, [
            f"rename-walk-cut lines not logged: "
            f"{300 - uploadlocks.WALK_CUT_LINES}"])
        cuts = self.walksCut(events)
        self.assertEqual(len(cuts), uploadlocks.WALK_CUT_LINES + 1)
        self.assertTrue(cuts[-1].endswith("entries only"), cuts[-1])

    def test_finish(self):
        """
        A server stopping (the hub's C{finishers}, which the server's
        factory gives L{uploadlocks.walkCuts}) logs the count of lines
        left out at once, though their minute is not over, and leaves no
        timer: the count was lost with the process.
        """
        self.patch(uploadlocks, "WALK_LIMIT", FILES)
        cuts = uploadlocks.WalkCuts(self.clock)
        self.patch(uploadlocks, "walkCuts", cuts)
        names = [["top"], ["moved"]]
        with capturedLogs() as events:
            for _ in range(uploadlocks.WALK_CUT_LINES + 3):
                self.shell._rename(*names)
                names.reverse()
            self.successResultOf(cuts.finish(0))
        self.assertEqual(
            [formatEvent(event) for event in events
             if event.get("ftpkit_event")
             == uploadlocks.RENAME_WALK_CUTS_NOT_LOGGED],
            ["rename-walk-cut lines not logged: 3"])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        hub = EventHub()
        FTPFactory(Portal(None), ServerConfig(), reactor=Clock(), hub=hub)
        self.assertIn(cuts.finish, hub.finishers)
