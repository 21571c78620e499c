"""
On C{fsspec:memory://} every opener of a file gets the one stored file
object, position included; several sessions' calls run at once in the
shell's threads. What one of them does to that object between two steps
of another must not spoil the other:

 - a download (or a C{SIZE}, a listing) exported the object's buffer
   (C{getbuffer}) for as long as it took to copy from it, and an upload
   written in place (C{APPE}, C{REST} and C{STOR}) that grew the file
   meanwhile failed with C{BufferError}: its client got C{451} with part
   of its bytes written;
 - a download starting, or a second C{APPE} refused as busy, opened the
   file with fsspec's C{open}, which moves the shared position: an upload
   written in place between its own C{seek} and C{write} wrote its bytes
   at the start or the end of the file.

Each interleaving is made to happen, in one thread, by running the other
session's step when the first one's call on the stored object returns
(C{sys.setprofile}).
"""

import sys

from twisted.trial import unittest

from ftpkit.errors import FileBusy

try:
    import fsspec

    from ftpkit.shells.fsspecfiles import InPlaceWriter, openForReadingBlocking
    from ftpkit.shells.fsspecshell import FsspecShell
except ImportError:
    fsspec = None

ORIGINAL = b"0123456789" * 1000
"""What the stored file holds first."""


def between(stored, method, step):
    """
    Run a call with C{step} run once, right after its first call of
    C{method} on C{stored} returns (still inside the call).

    @param stored: the stored file object.
    @param method: the names of C{stored}'s methods (C{getbuffer}...).
    @param step: the other session's step, called with no argument.
    @return: a function calling its arguments (a function first) so.
    """
    def run(function, *args):
        steps = [step]

        def profile(frame, event, arg):
            if (event == "c_return" and steps
                    and getattr(arg, "__self__", None) is stored
                    and arg.__name__ in method):
                steps.pop()()

        sys.setprofile(profile)
        try:
            return function(*args)
        finally:
            sys.setprofile(None)
    return run


class SharedObjectTests(unittest.TestCase):
    """
    Two sessions' steps on one stored file of C{memory://}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        fs = fsspec.filesystem("memory", global_store=False,
                               skip_instance_cache=True)
        self.shell = FsspecShell(fs, "")
        self.fs, self.backend = self.shell.fs, self.shell.backend
        self.path = self.shell.fsPath(("f",))
        with self.fs.open(self.path, "wb") as f:
            f.write(ORIGINAL)
        self.stored = self.fs.store[self.path]

    def content(self):
        """
        @return: what the stored file holds now.
        """
        return self.fs.store[self.path].getvalue()

    def test_appendDuringRead(self):
        """
        An append lands while a download reads: both go on, the download
        reading what was there, the append stored.
        """
        reader = openForReadingBlocking(self.fs, self.backend, self.path)
        writer = InPlaceWriter(self.fs, self.path, 0, True, self.backend)
        run = between(self.stored, ("getbuffer", "getvalue"),
                      lambda: writer.writeAt(0, b"A" * 20000))
        self.assertEqual(run(reader.readAt, 10, 5), b"01234")
        writer.commit()
        reader.close()
        self.assertEqual(self.content(), ORIGINAL + b"A" * 20000)

    def test_appendDuringSize(self):
        """
        An append lands while the file's size is taken (C{SIZE},
        C{MLSD}...): both go on.
        """
        writer = InPlaceWriter(self.fs, self.path, 0, True, self.backend)
        run = between(self.stored, ("getbuffer", "getvalue"),
                      lambda: writer.writeAt(0, b"A" * 20000))
        self.assertIn(run(self.fs.info, self.path)["size"],
                      (len(ORIGINAL), len(ORIGINAL) + 20000))
        writer.commit()
        self.assertEqual(self.content(), ORIGINAL + b"A" * 20000)

    def test_downloadOpenedDuringResume(self):
        """
        A download opened between a resumed upload's check of its position
        and its write leaves the write where it belongs.
        """
        writer = InPlaceWriter(self.fs, self.path, 5000, False, self.backend)
        run = between(self.stored, ("tell",), lambda: openForReadingBlocking(
            self.fs, self.backend, self.path).close())
        run(writer.writeAt, 0, b"R" * 10)
        writer.commit()
        self.assertEqual(self.content(), ORIGINAL[:5000] + b"R" * 10)

    def test_busyAppendDuringResume(self):
        """
        A second upload in place of the file, refused as busy between a
        resumed upload's check of its position and its write, leaves the
        write where it belongs.
        """
        writer = InPlaceWriter(self.fs, self.path, 5000, False, self.backend)
        refused = []

        def second():
            try:
                InPlaceWriter(self.fs, self.path, 0, True, self.backend)
            except FileBusy:
                refused.append(True)

        run = between(self.stored, ("tell",), second)
        run(writer.writeAt, 0, b"R" * 10)
        writer.commit()
        self.assertEqual(refused, [True])
        self.assertEqual(self.content(), ORIGINAL[:5000] + b"R" * 10)
