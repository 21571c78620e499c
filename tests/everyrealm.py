"""
L{EveryRealmMixin}: one check run on each realm ftpkit ships with a
store of its own (the disk, C{--realm memory}, C{fsspec:memory://} and
C{fsspec:file://}), as one test each, for the modules that hold the
realms to one behaviour (L{tests.integration.test_trailingslash},
L{tests.integration.test_renameclashes}).
"""

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from tests.scratch import scratchDirectory

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    fsspec = None


class EveryRealmMixin:
    """
    Mixed into a L{unittest.TestCase} that defines C{check(realm)}, which
    returns a L{twisted.internet.defer.Deferred}.
    """

    def _fsspecRealm(self, protocol):
        """
        @param protocol: C{"memory"} or C{"file"}.
        @return: an fsspec realm on a fresh scratch root.
        @raise unittest.SkipTest: without fsspec.
        """
        if fsspec is None:
            raise unittest.SkipTest("fsspec is not installed")
        return makeFsspecRealm(
            protocol + "://" + scratchDirectory(self), {})

    def test_disk(self):
        """
        On the disk realm.
        """
        return self.check(FilesystemRealm(scratchDirectory(self)))

    def test_memory(self):
        """
        On C{--realm memory}.
        """
        return self.check(MemoryRealm())

    def test_fsspecMemory(self):
        """
        On C{--realm fsspec:memory://}.
        """
        return self.check(self._fsspecRealm("memory"))

    def test_fsspecFile(self):
        """
        On C{--realm fsspec:file://}.
        """
        return self.check(self._fsspecRealm("file"))
