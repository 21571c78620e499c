"""
A partial upload whose target another upload changed since it was kept
no longer matches the file, and is dropped: one rule
(L{ftpkit.shells.partials.isOutdated}) for the disk realm and the realms
keeping cut uploads through L{ftpkit.shells.keptuploads.KeptUploadsShell}
(C{--realm memory}, the fsspec realms). Before session 32 those kept it
for its user, whose C{SIZE} answered it and whose resume replaced the
other user's file, while the disk realm dropped it.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.partials import NOTHING_THERE, isOutdated

OLD = b"old file"
"""What C{f} holds at first."""


class RuleTests(unittest.TestCase):
    """
    L{isOutdated}, pure.
    """

    def test_recordedVersion(self):
        """
        Where the version the target had is recorded, a target of
        another version makes the partial upload stale, whatever the
        times say; one of that version does not.
        """
        self.assertTrue(isOutdated((3, 10.0), (4, 5.0), 5.0, 20.0))
        self.assertFalse(isOutdated((3, 10.0), (3, 10.0), 30.0, 20.0))

    def test_nothingThere(self):
        """
        A partial upload of a name where no file was is stale once a
        file is there.
        """
        self.assertTrue(isOutdated(NOTHING_THERE, (4, 5.0), 5.0, 20.0))

    def test_noFile(self):
        """
        With no file at the target (gone, or a directory), it is not.
        """
        self.assertFalse(isOutdated((3, 10.0), None, None, 20.0))
        self.assertFalse(isOutdated(None, None, None, 20.0))

    def test_times(self):
        """
        Where nothing is recorded, a target that changed no sooner than
        the partial upload was kept makes it stale; times not known, not.
        """
        self.assertTrue(isOutdated(None, (4, 30.0), 30.0, 20.0))
        self.assertTrue(isOutdated(None, (4, 20.0), 20.0, 20.0))
        self.assertFalse(isOutdated(None, (4, 10.0), 10.0, 20.0))
        self.assertFalse(isOutdated(None, (4, None), None, 20.0))


class KeptOutdatedTests(unittest.TestCase):
    """
    alice's cut upload of C{f} on a L{MemoryShell}, then bob's.
    """

    def setUp(self):
        self.clock = Clock()
        self.clock.advance(1000)
        self.raw = MemoryShell({"/f": OLD}, clock=self.clock)
        self.shell = KeptUploadsShell(self.raw, clock=self.clock)
        self.alice = self.shell.forResumer("alice")
        self.bob = self.shell.forResumer("bob")

    def upload(self, shell, data, path=("f",), offset=0, append=False,
               cut=False):
        """
        Upload C{data} whole, or cut after it.
        """
        opened = self.successResultOf(
            shell.openForWriting(path, offset, append))
        if data:
            self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.abort() if cut else opened.close())

    def kept(self, shell, path=("f",)):
        """
        @return: what C{shell}'s C{resumableSize} tells of C{path}.
        """
        return self.successResultOf(shell.resumableSize(path))

    def stored(self):
        """
        @return: the names in the wrapped shell's root, hidden ones too.
        """
        return self.successResultOf(self.raw.listNames(()))

    def test_replacedByOther(self):
        """
        bob's upload replacing C{f} makes alice's partial upload stale:
        removed, her C{SIZE} answers nothing kept.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(1)
        self.upload(self.bob, b"bob's file")
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(self.stored(), ["f"])

    def test_newNameMadeByOther(self):
        """
        alice's cut upload of a new name, then bob's C{APPE} making that
        file: hers is stale.
        """
        self.upload(self.alice, b"brand", ("n",), cut=True)
        self.upload(self.bob, b"bob", ("n",), append=True)
        self.assertIsNone(self.kept(self.alice, ("n",)))
        self.assertEqual(self.stored(), ["f", "n"])

    def test_timeSetBack(self):
        """
        bob's replacement whose time is set back before the cut upload's
        (C{MFMT}, as rclone sends) is told by the version recorded.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(1)
        self.upload(self.bob, b"bob's file")
        self.successResultOf(self.bob.setModificationTime(("f",), 10))
        self.assertIsNone(self.kept(self.alice))

    def test_unchangedKept(self):
        """
        A target nobody changed keeps it: alice resumes it.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(1)
        self.assertEqual(self.kept(self.alice), 5)
        self.upload(self.alice, b" new", offset=5)
        self.assertEqual(self.stored(), ["f"])

    def test_notRecordedHere(self):
        """
        A partial upload another process kept (a shell of its own
        registry here) is told by times: bob's upload made C{f} no
        sooner than it was kept, so it is stale there too (it stayed
        before session 33: alice's C{SIZE} answered it for bob's file).
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(1)
        self.upload(self.bob, b"bob's file")
        elsewhere = KeptUploadsShell(self.raw, clock=self.clock)
        self.assertIsNone(self.kept(elsewhere.forResumer("alice")))
        self.assertEqual(self.stored(), ["f"])

    def test_notRecordedSameSecond(self):
        """
        alice's complete upload of C{f}, then her cut upload of it, in
        one second of a store keeping times to the second (this clock,
        as SFTP): keeping it set its time past the file's, so another
        process does not find it stale.
        """
        self.upload(self.alice, b"complete")
        self.upload(self.alice, b"brand", cut=True)
        elsewhere = KeptUploadsShell(self.raw, clock=self.clock)
        self.assertEqual(self.kept(elsewhere.forResumer("alice")), 5)
        self.clock.advance(1)
        self.upload(self.bob, b"bob's file")
        self.assertIsNone(self.kept(elsewhere.forResumer("alice")))
