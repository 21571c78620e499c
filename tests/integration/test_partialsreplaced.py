"""
A cut upload whose file another user's upload replaced, or made, since:
its user's C{SIZE} answers the file now there, on every realm that keeps
cut uploads (the disk realm, C{--realm memory}, C{fsspec:memory://},
C{fsspec:file://}), over real sockets (ftplib). Before session 32 the
memory and fsspec realms kept the cut upload, which their user's C{SIZE}
answered and their resume put in place of the other user's file, while
the disk realm dropped it (it no longer matches the file): one rule now,
L{ftpkit.shells.partials.isOutdated}.
"""

import io

from twisted.trial import unittest

from tests.cutuploads import (
    HALF,
    DiskRealmMixin,
    MemoryRealmMixin,
    TwoUsersMixin,
    cut,
    sizeOf,
)
from tests.fsspecrealms import LocalMixin, MemoryMixin

BOBS = b"bob's own file"
"""What bob's upload sends."""


class ReplacedMixin(TwoUsersMixin):
    """
    alice and bob on an empty root (L{TwoUsersMixin}); subclasses say
    which realm (C{makeRealm}).
    """

    def replaced(self, bobSends):
        """
        alice stores C{f}, cuts an upload of a new version of it and of
        the new name C{n}; bob then sends his file with C{bobSends}
        (blocking).

        @return: alice's C{SIZE} of each cut upload's name, between them
            and after bob's upload.
        """
        alice = self.login()
        alice.storbinary("STOR f", io.BytesIO(b"old"))
        cuts = cut(alice, "f"), cut(alice, "n")
        before = sizeOf(alice, "f"), sizeOf(alice, "n")
        bob = self.login("bob", "pw")
        for name in ("f", "n"):
            bobSends(bob, name)
        bob.quit()
        after = sizeOf(alice, "f"), sizeOf(alice, "n")
        alice.quit()
        return cuts, before, after

    async def test_otherStored(self):
        """
        bob's C{STOR} of each name: alice's C{SIZE} answers his file's
        size.
        """
        replies = await self.inThread(
            self.replaced, lambda bob, name: bob.storbinary(
                "STOR " + name, io.BytesIO(BOBS)))
        self.assertEqual(replies, (("426", "426"), (HALF, HALF),
                                   (len(BOBS), len(BOBS))))

    async def test_otherAppended(self):
        """
        bob's C{APPE} of each name (written in place): alice's C{SIZE}
        answers the file's size.
        """
        replies = await self.inThread(
            self.replaced, lambda bob, name: bob.storbinary(
                "APPE " + name, io.BytesIO(BOBS)))
        self.assertEqual(replies, (("426", "426"), (HALF, HALF),
                                   (3 + len(BOBS), len(BOBS))))


class DiskReplacedTests(DiskRealmMixin, ReplacedMixin, unittest.TestCase):
    """
    The disk realm (which dropped it before session 32 already).
    """


class MemoryReplacedTests(MemoryRealmMixin, ReplacedMixin, unittest.TestCase):
    """
    C{--realm memory}.
    """


class FsspecMemoryReplacedTests(MemoryMixin, MemoryReplacedTests):
    """
    C{--realm fsspec:memory://}.
    """


class FsspecLocalReplacedTests(LocalMixin, MemoryReplacedTests):
    """
    C{--realm fsspec:file://}.
    """
