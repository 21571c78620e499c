"""
Test case mixins serving a test's root through fsspec: on the disk
(L{LocalMixin}, C{fsspec:file://ROOT}) or in fsspec's C{memory://} store
(L{MemoryMixin}); the tests of a realm take them to run again there. Both
skip their tests where fsspec is not installed.
"""

import uuid

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
