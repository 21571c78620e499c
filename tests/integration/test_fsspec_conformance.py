"""
The conformance kit on L{ftpkit.shells.fsspecshell.FsspecShell}: fsspec's
memory and local filesystems, a real SFTP server, and a backend that
writes whole files.
"""

from twisted.trial import unittest

from ftpkit.testing import IFTPShellConformanceMixin
from tests.integration.test_shell_fsspec import _NO_FSSPEC, memoryShell
from tests.scratch import scratchDirectory
from tests.storageservers import sshServer

try:
    import fsspec
except ImportError:
    fsspec = None

if fsspec is not None:
    from fsspec.implementations.local import LocalFileSystem

    from ftpkit.shells.fsspecposix import MemoryBackend
    from ftpkit.shells.fsspecshell import FsspecShell


class FsspecConformanceMixin(IFTPShellConformanceMixin):
    """
    The conformance kit, settling once the shell's threads are done.
    """

    def settle(self):
        """
        Wait until none of the shell's blocking calls is running.
        """
        return self.shell.whenIdle()


class MemoryConformanceTests(FsspecConformanceMixin, unittest.TestCase):
    """
    L{FsspecShell} on C{memory://} passes the conformance kit.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def makeShell(self):
        return memoryShell()


class LocalConformanceTests(FsspecConformanceMixin, unittest.TestCase):
    """
    L{FsspecShell} on C{file://} passes the conformance kit.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def makeShell(self):
        root = scratchDirectory(self)
        return FsspecShell(LocalFileSystem(skip_instance_cache=True), root)


class SFTPConformanceTests(FsspecConformanceMixin, unittest.TestCase):
    """
    L{FsspecShell} on C{sftp://}, against OpenSSH's server, passes the
    conformance kit.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def makeShell(self):
        fs = sshServer().sharedFilesystem()
        root = scratchDirectory(self)
        return FsspecShell(fs, root)


class WholeFilesConformanceTests(FsspecConformanceMixin, unittest.TestCase):
    """
    L{FsspecShell} on C{memory://} through a backend that writes whole
    files, as an object store's and a store's ftpkit knows nothing
    particular about do (L{Backend.writesInPlace} false), passes the
    conformance kit: it says its uploads cannot write at an offset, and
    refuses them.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def makeShell(self):
        fs = fsspec.filesystem("memory", global_store=False,
                               skip_instance_cache=True)
        backend = MemoryBackend("memory")
        backend.writesInPlace = False
        return FsspecShell(fs, "", backend=backend)
