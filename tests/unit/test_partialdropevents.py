"""
The C{partial-dropped} events of kept cut uploads the server finds stale
and removes: past their lifetime (C{reason} L{EXPIRED}), or whose file
another upload replaced since (L{FILE_CHANGED}). Before session 32 only
the drops for room and past a user's limit were logged: these removals
were silent, and a user whose resume found nothing left the operator no
line to find why.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.shells.keptnames import partialName
from ftpkit.shells.keptregistry import EXPIRED, FILE_CHANGED, PARTIAL_DROPPED
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.uploadnames import PARTIAL_LIFETIME
from tests.integration.test_plugin21 import logged


def dropped(events):
    """
    @param events: log events (dicts).
    @return: the C{partial-dropped} ones, as (path, user, bytes, reason).
    """
    return [(event["path"], event["user"], event["bytes"], event["reason"])
            for event in events
            if event.get("ftpkit_event") == PARTIAL_DROPPED]


class KeptStaleTests(unittest.TestCase):
    """
    alice's cut upload of C{f} on a L{KeptUploadsShell} over a
    L{MemoryShell} (the fsspec realms share that shell).
    """

    def setUp(self):
        self.events = logged(self)
        self.clock = Clock()
        self.clock.advance(1000)
        self.raw = MemoryShell({"/f": b"old file"}, clock=self.clock)
        self.shell = KeptUploadsShell(self.raw, clock=self.clock)
        self.alice = self.shell.forResumer("alice")
        self.bob = self.shell.forResumer("bob")

    def upload(self, shell, data, path=("f",), cut=False):
        """
        Upload C{data} whole, or cut after it.
        """
        opened = self.successResultOf(shell.openForWriting(path))
        self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.abort() if cut else opened.close())

    def kept(self, shell, path=("f",)):
        """
        @return: what C{shell}'s C{resumableSize} tells of C{path}.
        """
        return self.successResultOf(shell.resumableSize(path))

    def test_fileChanged(self):
        """
        bob's upload replacing C{f}: alice's next C{SIZE} drops her
        partial upload, one event; a second C{SIZE} logs nothing more.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(1)
        self.upload(self.bob, b"bob's file")
        self.assertIsNone(self.kept(self.alice))
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", "alice"), "alice", 5, FILE_CHANGED)])

    def test_expired(self):
        """
        Past its lifetime, alice's C{SIZE} drops it: one event.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", "alice"), "alice", 5, EXPIRED)])

    def test_anyones(self):
        """
        A partial upload kept for nobody in particular is logged with no
        user.
        """
        self.upload(self.shell, b"brand", cut=True)
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", None), None, 5, EXPIRED)])

    def test_swept(self):
        """
        Past its lifetime, the sweep run when a cut upload is next kept
        in its directory drops it: one event, naming its user.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.upload(self.bob, b"other", ("g",), cut=True)
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", "alice"), "alice", 5, EXPIRED)])

    def test_resumedNotLogged(self):
        """
        A partial upload its user resumes, or removes with C{DELE}, is no
        drop.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.successResultOf(self.alice.removeFile(("f",)))
        self.upload(self.alice, b"brand", ("g",), cut=True)
        opened = self.successResultOf(
            self.alice.openForWriting(("g",), 5))
        self.successResultOf(opened.writeAt(5, b"!"))
        self.successResultOf(opened.close())
        self.assertEqual(dropped(self.events), [])
