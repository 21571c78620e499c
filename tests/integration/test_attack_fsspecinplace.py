"""
Uploads written in place (C{APPE}, C{REST} and C{STOR}) on the fsspec
realm, over real loopback sockets: the disk realm's tests of them
(L{tests.integration.test_attack_sweep6.InPlaceWritersTests},
L{tests.integration.test_inplacereplaced.ReplacedDuringAppendTests}) run
on C{fsspec:file://} and C{fsspec:memory://}.

Both went unchecked there. Two sessions appending to one file at once
were both told C{226}: on C{file://} their bytes interleaved (100,000 of
one, 100,000 of the other, then 1,000 of the first), and on
C{memory://}, whose openers share one file object, the later writer wrote
at its own offset over the other's bytes (1,000 of the second's lost).
And an C{APPE} whose file a C{STOR} or C{RNTO} replaced, or C{DELE} or a
rename took away, meanwhile was told C{226} for bytes its path no longer
held.

And, as on the disk (L{tests.integration.test_attack_sweep4_modes}), an
upload written in place on C{file://} by a server running as root kept
the file's set-user-ID and set-group-ID bits, which the kernel clears
for other writers: the owner's program then held the uploader's bytes.
"""

import stat
import uuid

from twisted.internet import defer

from tests.appending import APPENDED, ORIGINAL
from tests.integration import (
    test_attack_sweep4_modes,
    test_attack_sweep6,
    test_inplacereplaced,
)

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    fsspec = None


class LocalMixin:
    """
    The root served as C{fsspec:file://ROOT}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def makeRealm(self):
        """
        @return: the fsspec realm of the disk under C{self.root}.
        """
        return makeFsspecRealm("file://" + self.root, {})


class MemoryMixin:
    """
    A root of fsspec's C{memory://} (one store per process: a root of the
    test's own, removed afterwards).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.where = "/inplace-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(self._clean)
        return super().setUp()

    def _clean(self):
        if self.fs.exists(self.where):
            self.fs.rm(self.where, recursive=True)

    def makeRealm(self):
        """
        @return: the fsspec realm of the test's C{memory://} root.
        """
        return makeFsspecRealm("memory://" + self.where, {})

    def write(self, name, data):
        """
        @param name: a file's name in the root.
        @param data: the bytes it is to hold.
        """
        self.fs.pipe_file(f"{self.where}/{name}", data)

    def exists(self, name):
        """
        @param name: a name in the root.
        @return: whether anything has it.
        """
        return self.fs.exists(f"{self.where}/{name}")

    def read(self, name="f"):
        """
        @param name: a file's name in the root.
        @return: its bytes.
        """
        return self.fs.cat_file(f"{self.where}/{name}")


class LocalInPlaceWritersTests(LocalMixin,
                               test_attack_sweep6.InPlaceWritersTests):
    """
    Two in-place writers of one file on C{file://}.
    """


class MemoryInPlaceWritersTests(MemoryMixin,
                                test_attack_sweep6.InPlaceWritersTests):
    """
    Two in-place writers of one file on C{memory://}.
    """


class LocalReplacedDuringAppendTests(
        LocalMixin, test_inplacereplaced.ReplacedDuringAppendTests):
    """
    A file on C{file://} changed by another session while an C{APPE}
    writes it.
    """


class MemoryReplacedDuringAppendTests(
        MemoryMixin, test_inplacereplaced.ReplacedDuringAppendTests):
    """
    A file on C{memory://} changed by another session while an C{APPE}
    writes it.
    """

    @defer.inlineCallbacks
    def test_moved(self):
        """
        Renamed away, the file is copied (C{memory://} moves a file by
        copying it), so its new name holds the bytes written before the
        rename; the C{APPE} gets C{450}: C{f} does not hold them.
        """
        replies, final = yield self.inThread(
            self.duringAppend, "RNFR f", "RNTO h")
        self.assertEqual(replies[1][:4], "250 ")
        self.assertEqual(final[:4], "450 ")
        self.assertEqual(self.read("h"), ORIGINAL + APPENDED[:1000])
        self.assertFalse(self.exists("f"))


class LocalPrivilegeBitsTests(LocalMixin,
                              test_attack_sweep4_modes.PrivilegeBitsTests):
    """
    Programs with their set-user-ID and set-group-ID bits on, on
    C{file://}.
    """

    @defer.inlineCallbacks
    def test_uploadsDropPrivilegeBits(self):
        """
        C{APPE} to a program and C{REST} + C{STOR} into one leave it
        without those bits, its other bits kept; the file a C{STOR} puts
        in place of one is new, made without them.
        """
        replies = yield self.inThread(self.upload)
        self.assertEqual([reply[:3] for reply in replies], ["226"] * 3)
        self.assertEqual([self.mode("appended"), self.mode("resumed")],
                         [0o755] * 2)
        self.assertFalse(self.mode("replaced") & (stat.S_ISUID | stat.S_ISGID))
