"""
Tests for where an upload is on this machine's disk: the disk shell's
and C{file://}'s L{ftpkit.interfaces.IFTPShellLocalPath}, its wrappers, the event's
C{localFile} (L{ftpkit.control.handlers.reporting.localFileOf}) and
C{--on-upload}'s C{FTPKIT_FILE}
(L{ftpkit.control.uploadhook.uploadVariables}).
"""

import os

from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem
from twisted.trial import unittest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from ftpkit.control.handlers.reporting import localFileOf
from ftpkit.control.uploadhook import uploadVariables
from ftpkit.interfaces import IFTPShellLocalPath
from ftpkit.ops import events
from ftpkit.shells import uploads
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.fsspecshell import FsspecShell
from ftpkit.shells.fsspectemporaries import TEMPORARY_PREFIX
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import HideDotfilesShell, ReadOnlyShell
from tests.scratch import scratchDirectory


class DiskLocalPathTests(unittest.TestCase):
    """
    L{FilesystemShell.localPath}: the path joined under the root's real
    path.
    """

    def setUp(self):
        self.real = scratchDirectory(self)
        # The shell is given its root through a link: it names the file
        # by the root's real path, as its uploads do.
        self.link = os.path.join(scratchDirectory(self), "served")
        os.symlink(self.real, self.link)
        self.shell = FilesystemShell(self.link)

    def test_provided(self):
        """
        The disk shell provides the extra.
        """
        self.assertTrue(verifyObject(IFTPShellLocalPath, self.shell))

    def test_underRealRoot(self):
        """
        A path is its segments under the root's real path, a C{str}.
        """
        self.assertEqual(self.shell.localPath(("in", "a.pdf")),
                         os.path.join(os.path.realpath(self.real), "in",
                                      "a.pdf"))
        self.assertEqual(self.shell.localPath(()),
                         os.path.realpath(self.real))

    def test_hiddenUpload(self):
        """
        The name of an upload not in place (the server's, which no path
        may name) has none.
        """
        hidden = (uploads.PARTIAL_PREFIX + b"a.pdf").decode()
        self.assertTrue(uploads.isHidden(hidden.encode()))
        self.assertIsNone(self.shell.localPath(("in", hidden)))

    def test_hiddenStartAlone(self):
        """
        A name holding what hidden uploads' names start with, which is not
        one of them, has its path.
        """
        name = "a" + os.fsdecode(uploads.PARTIAL_PREFIX) + "b"
        self.assertEqual(self.shell.localPath(("in", name)),
                         os.path.join(os.path.realpath(self.real), "in",
                                      name))

    def test_machineRoot(self):
        """
        A shell of C{/} names C{/} itself, and files just below it, with
        one slash.
        """
        shell = FilesystemShell("/")
        self.assertEqual((shell.localPath(()), shell.localPath(("tmp",))),
                         ("/", "/tmp"))


class FsspecLocalPathTests(unittest.TestCase):
    """
    L{FsspecShell.localPath}: on C{file://} alone, the path joined under
    the root.
    """

    def test_local(self):
        """
        On the local disk the shell provides it, joining the path under
        its root.
        """
        root = scratchDirectory(self)
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                            root + "/")
        self.assertTrue(verifyObject(IFTPShellLocalPath, shell))
        self.assertEqual((shell.localPath(()), shell.localPath(("in", "a"))),
                         (root, os.path.join(root, "in", "a")))

    def test_reserved(self):
        """
        The temporary sibling of an upload in progress (the shell's, which
        no path may name) has none.
        """
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                            scratchDirectory(self))
        self.assertIsNone(shell.localPath(("in", TEMPORARY_PREFIX + "a")))

    def test_machineRoot(self):
        """
        Serving the machine's C{/} (C{fsspec:file:///}), its root is C{/},
        not C{""}, and a path below it has one C{/}.
        """
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), "/")
        self.assertEqual((shell.localPath(()), shell.localPath(("tmp",))),
                         ("/", "/tmp"))

    def test_relativeRoot(self):
        """
        A root that is no absolute path (a shell made by code of its own;
        the store takes it from its working directory) names no file: an
        event's C{localFile} is absolute or C{None}.
        """
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                            "in/dir")
        self.assertEqual((shell.localPath(()), shell.localPath(("a",))),
                         (None, None))

    def test_memory(self):
        """
        On C{memory://} it does not.
        """
        shell = FsspecShell(MemoryFileSystem(skip_instance_cache=True,
                                             global_store=False), "/")
        self.assertFalse(IFTPShellLocalPath.providedBy(shell))


class WrappedLocalPathTests(unittest.TestCase):
    """
    The shell wrappers forward L{IFTPShellLocalPath} where the wrapped
    shell provides it, and only there.
    """

    def test_forwarded(self):
        """
        A disk shell wrapped twice still says where a path is.
        """
        root = scratchDirectory(self)
        shell = FilesystemShell(root)
        wrapped = HideDotfilesShell(ReadOnlyShell(shell))
        self.assertTrue(IFTPShellLocalPath.providedBy(wrapped))
        self.assertEqual(wrapped.localPath(("a",)), shell.localPath(("a",)))

    def test_memoryHasNone(self):
        """
        A memory shell, wrapped or not, does not provide it.
        """
        self.assertFalse(IFTPShellLocalPath.providedBy(MemoryShell()))
        self.assertFalse(IFTPShellLocalPath.providedBy(
            ReadOnlyShell(MemoryShell())))


@implementer(IFTPShellLocalPath)
class _Answers:
    """
    A shell's L{IFTPShellLocalPath} giving what it was told to.
    """

    def __init__(self, answer):
        self.answer = answer

    def localPath(self, path):
        return self.answer


class LocalFileOfTests(unittest.TestCase):
    """
    L{localFileOf}: what a complete upload's event says of its file (a
    plugin's answer held to its shape by the contract:
    C{tests.integration.test_shellcontract_answers}).
    """

    def test_withoutExtra(self):
        """
        A shell without the extra (a plugin's written before it) gives
        none.
        """
        self.assertIsNone(localFileOf(MemoryShell(), ("a",)))

    def test_answer(self):
        """
        The shell's answer is taken.
        """
        self.assertEqual(localFileOf(_Answers("/srv/a"), ("a",)), "/srv/a")
        self.assertIsNone(localFileOf(_Answers(None), ("a",)))


class UploadVariablesTests(unittest.TestCase):
    """
    L{uploadVariables}: the C{FTPKIT_*} variables of an upload's
    command.
    """

    def upload(self, **fields):
        return events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                            command="STOR", path="/in/a.pdf", code=226,
                            bytes=5, **fields)

    def test_file(self):
        """
        C{FTPKIT_FILE} is the event's C{localFile}; the others keep their
        values.
        """
        self.assertEqual(
            uploadVariables(self.upload(localFile="/srv/ftp/alice/in/a.pdf"),
                            "/srv/ftp"),
            {"FTPKIT_PATH": "/in/a.pdf", "FTPKIT_USER": "alice",
             "FTPKIT_PEER": "10.0.0.1", "FTPKIT_BYTES": "5",
             "FTPKIT_COMMAND": "STOR", "FTPKIT_ROOT": "/srv/ftp",
             "FTPKIT_FILE": "/srv/ftp/alice/in/a.pdf"})

    def test_noFile(self):
        """
        Without a local file (memory, an object store) C{FTPKIT_FILE} is
        set, and empty, as C{FTPKIT_ROOT} is without a root.
        """
        variables = uploadVariables(self.upload(), None)
        self.assertEqual((variables["FTPKIT_FILE"], variables["FTPKIT_ROOT"]),
                         ("", ""))

    def test_eventDefault(self):
        """
        An event made without it, either way, has no C{localFile}.
        """
        self.assertIsNone(self.upload().localFile)
        self.assertIsNone(events.Event.fromFields(
            {"kind": events.TRANSFER, "peer": "::1"}).localFile)
