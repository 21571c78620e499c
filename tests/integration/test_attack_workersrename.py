"""
A directory renamed or removed by a session of one worker of
C{--workers 2} while a session of the other uploads into it.

On C{--realm fsspec:file://DIR} the rename was refused only for an
upload of the renaming process (L{ftpkit.shells.fsspectemporaries}): the
other worker's upload failed at its end (C{550}), and its temporary
file stayed in the renamed directory, hidden, keeping C{RMD} from
removing a directory listed empty. The disk realm's refusals (C{RMD} of
a directory an upload writes into) are checked across the workers too.

The file an upload writes in place (C{APPE}, C{REST} + C{STOR}) is
neither renamed, nor removed (C{DELE}), nor replaced by the rename of
another file onto it (C{RNTO}) while the upload runs, from a session of
either worker, or, on the realms held in memory, of the one process: the
last two went ahead on every realm, and the upload got C{450} (its bytes
in a file no name reached), or, on SFTP, C{226} for bytes lost.
"""

import os

from twisted.trial import unittest

from ftpkit.shells.uploadlocks import FILE_UPLOADING
from tests.fsspecrealms import sftpURL
from tests.ftpclient import ftplibLogin, replyCode, replyText
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, workerServing

try:
    import fsspec
except ImportError:
    fsspec = None

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

SIZE = 100000
"""The bytes the upload sends before the other session's commands."""


class WorkersRenamedMixin:
    """
    A C{--workers 2} server (L{realmOptions}) and two sessions served by
    different workers.
    """

    timeout = 120
    workers = 2

    def setUp(self):
        self.root = scratchDirectory(self)
        self.server = ServerProcess(self, [
            "--auth", "memory:alice:secret", "--workers", str(self.workers),
            *self.realmOptions()])
        if self.workers == 1:
            self.server.waitForGreeting()
        else:
            self.server.waitForLog(READY, self.workers)

    def sessions(self):
        """
        @return: two logged-in ftplib clients, each served by another
            worker (more sessions are opened until one is) where there
            are two.
        """
        one = ftplibLogin(self, self.server.port, binary=True)
        if self.workers == 1:
            return one, ftplibLogin(self, self.server.port, binary=True)
        first = self.workerOf(one)
        for _ in range(8):
            other = ftplibLogin(self, self.server.port, binary=True)
            if self.workerOf(other) != first:
                return one, other
            other.close()
        self.fail("no session was served by the other worker")

    def workerOf(self, session):
        """
        @param session: a logged-in ftplib client.
        @return: the process id of the worker serving it.
        """
        return self.server.waitFor(
            lambda: workerServing(self.server.process.pid, session.sock),
            "a worker serving the session")

    def meanwhile(self, commands, replacing=False, verb="STOR", rest=None,
                  whole=False, spare=False):
        """
        Upload C{d/x} in one session (L{SIZE} bytes, then the end) and
        send C{commands} from a session of the other worker while it
        runs.

        @param commands: the other session's command lines.
        @param replacing: store C{d/x} first, so that the upload replaces
            it (or, with C{APPE}, writes it in place).
        @param verb: the upload's command.
        @param rest: the offset a C{REST} before it gives, or C{None}.
        @param whole: give the whole replies to C{commands}, not codes.
        @param spare: store C{d/z} (C{spare}) first too.
        @return: the reply codes to C{commands}, the upload's end's, and
            the other session.
        """
        one, other = self.sessions()
        one.mkd("d")
        one.voidcmd("TYPE I")
        for name, wanted in (("x", replacing), ("z", spare)):
            if wanted:
                with one.transfercmd("STOR d/" + name) as data:
                    data.sendall(b"old" if name == "x" else b"spare")
                one.voidresp()
        data = one.transfercmd(verb + " d/x", rest)
        data.sendall(b"A" * SIZE)
        during = [replyText(other, command) if whole
                  else replyCode(other.sendcmd, command)
                  for command in commands]
        data.close()
        return during, replyCode(one.voidresp), other

    def assertRenameWaits(self, replacing=False, verb="STOR", rest=None):
        """
        The rename of the directory gets C{450} while the upload runs
        (L{meanwhile}), and C{250} once it ended; the upload is complete,
        and no temporary file is left.

        @param replacing: as for L{meanwhile}.
        @param verb: as for L{meanwhile}.
        @param rest: as for L{meanwhile}.
        """
        during, ended, other = self.meanwhile(["RNFR d", "RNTO e"],
                                              replacing, verb, rest)
        self.assertEqual(during, ["350", "450"])
        self.assertEqual(ended, "226")
        self.assertEqual(replyCode(other.sendcmd, "RNFR d"), "350")
        self.assertEqual(replyCode(other.sendcmd, "RNTO e"), "250")
        self.assertEqual(other.size("e/x"),
                         SIZE + (3 if verb == "APPE" else rest or 0))
        self.assertEqual(self.leftovers(), [])

    def test_renameRefusedAppending(self):
        """
        The rename of the directory of an upload written in place (an
        C{APPE} of a file) gets C{450} while it runs, and the upload
        C{226}. It got C{250}, and the upload, every byte written in the
        moved file, C{450} "try again" (a retried C{APPE} appends twice).
        """
        self.assertRenameWaits(replacing=True, verb="APPE")

    def test_renameRefusedResuming(self):
        """
        The same for a resumed upload (C{REST} then C{STOR}), also
        written in place.
        """
        self.assertRenameWaits(replacing=True, rest=3)

    def assertFileRenameWaits(self, verb="STOR", rest=None):
        """
        The rename of the file an upload writes in place gets C{450},
        saying the file is being uploaded (it said an upload into the
        directory was in progress, a directory's rename's reply), while
        the upload runs (L{meanwhile}), and C{250} once it ended; the upload is
        complete, its bytes once in the file, which the rename then
        takes along.

        @param verb: as for L{meanwhile}.
        @param rest: as for L{meanwhile}.
        """
        during, ended, other = self.meanwhile(
            ["RNFR d/x", "RNTO d/y"], True, verb, rest, whole=True)
        self.assertEqual(during[1], "450 " + FILE_UPLOADING)
        self.assertEqual(ended, "226")
        size = SIZE + (3 if verb == "APPE" else rest)
        self.assertEqual(other.size("d/x"), size)
        self.assertEqual(replyCode(other.sendcmd, "RNFR d/x"), "350")
        self.assertEqual(replyCode(other.sendcmd, "RNTO d/y"), "250")
        self.assertEqual(other.size("d/y"), size)
        self.assertEqual(self.leftovers(), [])

    def test_fileRenameRefusedAppending(self):
        """
        The rename of the file an C{APPE} writes gets C{450} while it
        runs, and the upload C{226}. It got C{250}, and the upload, every
        byte written into the renamed file, C{450} "try again" (a retried
        C{APPE} appended twice).
        """
        self.assertFileRenameWaits(verb="APPE")

    def test_fileRenameRefusedResuming(self):
        """
        The same for a resumed upload (C{REST} then C{STOR}).
        """
        self.assertFileRenameWaits(rest=3)

    def test_newFileRenameRefusedAppending(self):
        """
        The rename of a file an C{APPE} makes gets C{350} at C{RNFR},
        then C{450} at C{RNTO} while it runs, on every realm, and the
        upload C{226}. On C{--realm memory}, which stores the file once
        the upload ends, C{RNFR} got C{550} "No such file".
        """
        during, ended, other = self.meanwhile(
            ["RNFR d/x", "RNTO d/y"], verb="APPE", whole=True)
        self.assertEqual((during[0][:3], during[1]),
                         ("350", "450 " + FILE_UPLOADING))
        self.assertEqual(ended, "226")
        self.assertEqual(other.size("d/x"), SIZE)

    def assertFileTakingWaits(self, commands, verb="STOR", rest=None):
        """
        C{commands}, which would take away the file an upload writes in
        place (C{DELE} of it, C{RNTO} of another file onto it), get
        C{450} saying the file is being uploaded while the upload runs
        (L{meanwhile}), and the upload C{226}, its bytes once in the
        file.

        @param commands: the other session's command lines, the last of
            which is refused; C{d/z} holds C{spare} before them.
        @param verb: as for L{meanwhile}.
        @param rest: as for L{meanwhile}.
        @return: the other session.
        """
        during, ended, other = self.meanwhile(
            commands, True, verb, rest, whole=True, spare=True)
        self.assertEqual((during[-1], ended),
                         ("450 " + FILE_UPLOADING, "226"))
        self.assertEqual(other.size("d/x"),
                         SIZE + (3 if verb == "APPE" else rest))
        self.assertEqual(other.size("d/z"), len(b"spare"))
        return other

    def test_fileRemoveRefusedAppending(self):
        """
        C{DELE} of the file an C{APPE} writes gets C{450} while it runs,
        and C{250} once it ended. It got C{250}, and the upload C{450}
        (its bytes in a file no name reached), or, on SFTP, C{226} with
        its bytes lost.
        """
        other = self.assertFileTakingWaits(["DELE d/x"], verb="APPE")
        self.assertEqual(replyCode(other.sendcmd, "DELE d/x"), "250")

    def test_fileRemoveRefusedResuming(self):
        """
        The same for a resumed upload (C{REST} then C{STOR}).
        """
        self.assertFileTakingWaits(["DELE d/x"], rest=3)

    def test_fileReplaceRefusedAppending(self):
        """
        C{RNTO} of another file onto the file an C{APPE} writes gets
        C{450} while it runs, and C{250} once it ended. It got C{250},
        and the upload C{450}, or, on SFTP, C{226} with its bytes lost.
        """
        other = self.assertFileTakingWaits(["RNFR d/z", "RNTO d/x"],
                                           verb="APPE")
        self.assertEqual(replyCode(other.sendcmd, "RNFR d/z"), "350")
        self.assertEqual(replyCode(other.sendcmd, "RNTO d/x"), "250")
        self.assertEqual(other.size("d/x"), len(b"spare"))

    def test_fileReplaceRefusedResuming(self):
        """
        The same for a resumed upload (C{REST} then C{STOR}).
        """
        self.assertFileTakingWaits(["RNFR d/z", "RNTO d/x"], rest=3)

    def test_replacedFileRemoved(self):
        """
        C{DELE} of a file an upload will replace once complete (a plain
        C{STOR}, not written in place) goes ahead, and the upload puts
        its file there all the same.
        """
        during, ended, other = self.meanwhile(["DELE d/x"], True)
        self.assertEqual((during, ended), (["250"], "226"))
        self.assertEqual(other.size("d/x"), SIZE)

    def leftovers(self):
        """
        @return: the names of temporary upload files under the root.
        """
        return [name for _, _, names in os.walk(self.root)
                for name in names if name.startswith(".ftpkit-upload")]


class FsspecWorkersRenamedTests(WorkersRenamedMixin, unittest.TestCase):
    """
    On C{--realm fsspec:file://DIR}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def realmOptions(self):
        """
        @return: the options serving the root.
        """
        return ["--realm", "fsspec:file://" + self.root]

    def test_renameRefused(self):
        """
        The rename gets C{450} while the other worker's upload runs, and
        C{250} once it ended; the upload is complete, and no temporary
        file is left. It got C{250}, the upload C{550}.
        """
        self.assertRenameWaits()

    def test_removeRefused(self):
        """
        C{RMD} gets C{550} while the other worker's upload runs.
        """
        during, ended, other = self.meanwhile(["RMD d"])
        self.assertEqual(during, ["550"])
        self.assertEqual(ended, "226")
        self.assertEqual(other.size("d/x"), SIZE)

    def test_abandonedTemporary(self):
        """
        A temporary file nobody writes (its server died) does not keep the
        directory from being renamed.
        """
        one, _ = self.sessions()
        one.mkd("d")
        os.makedirs(os.path.join(self.root, "d", "sub"))
        with open(os.path.join(self.root, "d", "sub",
                               ".ftpkit-upload-0123456789abcdef"), "wb") as f:
            f.write(b"left")
        self.assertEqual(replyCode(one.sendcmd, "RNFR d"), "350")
        self.assertEqual(replyCode(one.sendcmd, "RNTO e"), "250")


class DiskWorkersRenamedTests(WorkersRenamedMixin, unittest.TestCase):
    """
    On the disk realm (C{--root}), whose refusals hold in every process
    serving the tree.
    """

    def realmOptions(self):
        """
        @return: the options serving the root.
        """
        return ["--root", self.root]

    def test_removeRefused(self):
        """
        C{RMD} of the directory a new file is uploaded into (its file has
        no name yet) gets C{550} from the other worker.
        """
        during, ended, other = self.meanwhile(["RMD d"])
        self.assertEqual(during, ["550"])
        self.assertEqual(ended, "226")
        self.assertEqual(other.size("d/x"), SIZE)

    def test_removeRefusedReplacing(self):
        """
        So does C{RMD} of the directory of a file an upload replaces.
        """
        during, ended, other = self.meanwhile(["RMD d"], replacing=True)
        self.assertEqual(during, ["550"])
        self.assertEqual(ended, "226")
        self.assertEqual(other.size("d/x"), SIZE)

    def test_renameCarriesNewUpload(self):
        """
        The rename of the directory of a new file's upload goes ahead, and
        the upload lands in the renamed directory, whole.
        """
        during, ended, other = self.meanwhile(["RNFR d", "RNTO e"])
        self.assertEqual(during, ["350", "250"])
        self.assertEqual(ended, "226")
        self.assertEqual(other.size("e/x"), SIZE)
        self.assertEqual(self.leftovers(), [])

    def test_renameRefusedReplacing(self):
        """
        The rename of the directory of an upload that replaces a file
        (into a temporary file, moved onto it by its path) gets C{450}
        while the upload runs, and C{250} once it ended; the upload is
        complete, and no temporary file is left. It got C{250}, the
        upload C{550}, its file left in the renamed directory.
        """
        self.assertRenameWaits(replacing=True)


class DiskOneProcessRenamedTests(DiskWorkersRenamedTests):
    """
    The same in one process.
    """

    workers = 1



class MemoryRenamedTests(WorkersRenamedMixin, unittest.TestCase):
    """
    On C{--realm memory}, in one process (its store is the process's
    own), whose open uploads keep their directory from being renamed
    (L{ftpkit.shells.memoryuploads}). The rename of the file an upload
    writes in place went ahead (C{250}), and the upload, stored by path
    once complete, got C{450} with nothing of it stored; it gets C{450}
    as on the other realms
    (L{ftpkit.shells.keptuploads.KeptUploadsShell.rename}).
    """

    workers = 1

    def realmOptions(self):
        """
        @return: the options serving the memory realm.
        """
        return ["--realm", "memory"]


class FsspecMemoryRenamedTests(MemoryRenamedTests):
    """
    The same on C{--realm fsspec:memory://}, whose uploads written in
    place (L{ftpkit.shells.fsspecinplace}) did not keep their directory
    from being renamed.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def realmOptions(self):
        """
        @return: the options serving a C{memory://} store.
        """
        return ["--realm", "fsspec:memory://"]

    def test_renameRefused(self):
        """
        The rename of the directory of a plain C{STOR} (into a temporary
        file, moved into place by its path once complete) gets C{450}
        while the upload runs, and C{250} once it ended; the upload is
        complete, and no temporary file is left.
        """
        self.assertRenameWaits()

    def test_renameRefusedReplacing(self):
        """
        The same for a C{STOR} replacing a file.
        """
        self.assertRenameWaits(replacing=True)


class FsspecSFTPRenamedTests(FsspecMemoryRenamedTests):
    """
    On C{--realm fsspec:sftp://...}, the root seen through OpenSSH's SFTP
    server, in one process (a store across the network offers no lock
    that other processes would see).
    """

    def realmOptions(self):
        """
        @return: the options serving the root through SFTP.
        """
        return ["--realm", "fsspec:" + sftpURL(self.root)]


class FsspecSFTPWorkersRenamedTests(FsspecSFTPRenamedTests):
    """
    The same under C{--workers 2}, whose workers share the SFTP store's
    in-place uploads and temporary upload files
    (L{ftpkit.shells.sharedinplace}): the other worker's rename got
    C{250}, and the upload C{450} (in place) or C{550} (into a temporary
    file) once its client had sent every byte.
    """

    workers = 2
