"""
The owner and group facts of C{MLST} (C{UNIX.owner}, C{UNIX.ownername},
C{UNIX.group}, C{UNIX.groupname}, ProFTPD's names), C{FEAT}'s C{MLST}
line and C{OPTS MLST} choosing them, on L{StringTransport}: C{LIST}
showed each entry's owner and group, C{MLSD} and C{MLST} neither.
"""

import grp
import os
import pwd

from twisted.internet.defer import maybeDeferred
from twisted.trial import unittest

from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, repliesTo

OWNERS = b"UNIX.owner;UNIX.ownername;UNIX.group;UNIX.groupname;"
"""The owner facts as C{OPTS MLST} names them and its reply repeats."""


class OwnerFactTests(unittest.TestCase):
    """
    C{FEAT}, C{OPTS MLST} and C{MLST} with the owner facts.
    """

    def diskShell(self):
        """
        @return: a L{FilesystemShell} of a scratch directory holding
            C{f.txt}, and that file's C{os.stat} result.
        """
        root = self.mktemp()
        os.makedirs(root)
        path = os.path.join(root, "f.txt")
        with open(path, "wb") as f:
            f.write(b"x")
        return (FilesystemShell(os.fsencode(root), runner=maybeDeferred),
                os.stat(path))

    def test_featAndOpts(self):
        """
        C{FEAT} lists the owner facts, not selected; C{OPTS MLST} selects
        them as any other fact (its reply names them as C{FEAT} does),
        and C{FEAT} then stars them; another C{OPTS MLST} takes them
        away again.
        """
        protocol, transport = loggedIn(MemoryShell())
        feat, opts, featAfter, optsAgain, featAgain = repliesTo(
            protocol, transport, b"FEAT",
            b"OPTS MLST type;unix.OWNER;UNIX.groupname;", b"FEAT",
            b"OPTS MLST size;", b"FEAT")
        self.assertIn(b" MLST type*;size*;modify*;perm*;unique*;UNIX.mode*;"
                      + OWNERS + b"\r\n", feat)
        self.assertEqual(
            opts, b"200 MLST OPTS type;UNIX.owner;UNIX.groupname;\r\n")
        self.assertIn(b" MLST type*;size;modify;perm;unique;UNIX.mode;"
                      b"UNIX.owner*;UNIX.ownername;UNIX.group;"
                      b"UNIX.groupname*;\r\n", featAfter)
        self.assertEqual(optsAgain, b"200 MLST OPTS size;\r\n")
        self.assertIn(b" MLST type;size*;modify;perm;unique;UNIX.mode;"
                      + OWNERS + b"\r\n", featAgain)

    def test_disk(self):
        """
        On the disk, C{MLST} gives the file's user and group ids and
        their names (those C{LIST} shows) once chosen, and none of them
        before.
        """
        shell, result = self.diskShell()
        protocol, transport = loggedIn(shell)
        before, opts, after = repliesTo(
            protocol, transport, b"MLST f.txt", b"OPTS MLST type;" + OWNERS,
            b"MLST f.txt")
        self.assertNotIn(b"UNIX.owner", before)
        self.assertEqual(opts, b"200 MLST OPTS type;" + OWNERS + b"\r\n")
        expected = "type=file;UNIX.owner={};UNIX.ownername={};UNIX.group={};" \
            "UNIX.groupname={}; /f.txt".format(
                result.st_uid, pwd.getpwuid(result.st_uid).pw_name,
                result.st_gid, grp.getgrgid(result.st_gid).gr_name)
        self.assertEqual(after.split(b"\r\n")[1], b" " + expected.encode())

    def test_memory(self):
        """
        A shell whose storage has no owner (memory) gives the names
        C{LIST} shows there, and no ids.
        """
        protocol, transport = loggedIn(MemoryShell({"/f.txt": b"x"}))
        _, mlst = repliesTo(protocol, transport, b"OPTS MLST type;" + OWNERS,
                            b"MLST /f.txt")
        self.assertEqual(
            mlst.split(b"\r\n")[1],
            b" type=file;UNIX.ownername=ftp;UNIX.groupname=ftp; /f.txt")
