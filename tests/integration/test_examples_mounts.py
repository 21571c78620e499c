"""
Tests for the mount shell of C{examples/} (C{docs/writing-a-realm.rst},
"A shell of several shells"): a real server on loopback serves it to
ftplib, one of its mounts read-only.
"""

import io

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import PermissionDenied
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import ReadOnlyShell
from ftpkit.testing import IFTPShellConformanceMixin
from tests.ftpclient import inLoggedInClient, replyCode
from tests.integration.test_examples import _loadExample

_MOUNTS = _loadExample("ftpkit_mounts")


def perms(ftp, command):
    """
    @param ftp: a logged-in ftplib client.
    @param command: C{MLSD PATH}, or C{MLST PATH}.
    @return: a C{dict} from each name the reply lists (C{"."} for a
        C{cdir} entry, C{".."} for a C{pdir} one) to the set of letters
        of its C{perm} fact.
    """
    if command.startswith("MLST"):
        lines = ftp.sendcmd(command).splitlines()[1:-1]
    else:
        lines = []
        ftp.retrlines(command, lines.append)
    found = {}
    for line in lines:
        facts, _, name = line.strip().partition(" ")
        values = dict(fact.split("=", 1) for fact in facts.split(";") if fact)
        name = {"cdir": ".", "pdir": ".."}.get(values.get("type"), name)
        found[name.rpartition("/")[2]] = set(values.get("perm", ""))
    return found


class MountShellConformanceTests(IFTPShellConformanceMixin,
                                 unittest.TestCase):
    """
    L{ftpkit_mounts.MountShell} passes the conformance kit in its root
    shell (the kit's root must start empty, so no mount is in it): every
    call reaches the routed shell as the contract says, and its C{perm}
    letters have their shapes.
    """

    def makeShell(self):
        """
        @return: a mount shell on a new memory shell.
        """
        return _MOUNTS.MountShell(MemoryShell(), {})


class MountShellServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    L{ftpkit_mounts.MountShell} with C{/shared} read-only and C{/scratch}
    writable, through a real server.
    """

    def setUp(self):
        """
        Start a server whose every user has the mount shell.
        """
        shell = _MOUNTS.MountShell(
            MemoryShell({"/top.txt": b"top"}),
            {("shared",): ReadOnlyShell(MemoryShell(
                {"/readme.txt": b"read me", "/docs/a.txt": b"a"})),
             ("scratch",): MemoryShell()})
        self.server = self.startServer(SharedShellRealm(shell),
                                       anonymous=False)

    @defer.inlineCallbacks
    def test_permFacts(self):
        """
        C{MLSD} and C{MLST} show each entry the letters its shell allows:
        the read-only mount's point, its directory and its files only
        looking, the writable mount's point all but delete and rename,
        the root's file everything, the root (C{..} of the mount) all but
        delete and rename.
        """
        def session(ftp):
            return (perms(ftp, "MLSD /"), perms(ftp, "MLSD /shared"),
                    perms(ftp, "MLST /shared"),
                    perms(ftp, "MLST /shared/readme.txt"))

        root, shared, point, readme = yield inLoggedInClient(self, session)
        self.assertEqual(root["shared"], set("el"))
        self.assertEqual(root["scratch"], set("celmp"))
        self.assertEqual(root["top.txt"], set("adfrw"))
        self.assertEqual(shared, {".": set("el"), "..": set("celmp"),
                                  "readme.txt": set("r"), "docs": set("el")})
        self.assertEqual(point, {"shared": set("el")})
        self.assertEqual(readme, {"readme.txt": set("r")})

    @defer.inlineCallbacks
    def test_readOnlyMount(self):
        """
        Every change on the read-only mount gets C{550}, C{RNFR} of its
        file at once, before any C{RNTO}; its files download.
        """
        def session(ftp):
            chunks = []
            ftp.retrbinary("RETR shared/readme.txt", chunks.append)
            return (b"".join(chunks),
                    replyCode(ftp.sendcmd, "RNFR shared/readme.txt"),
                    replyCode(ftp.storbinary, "STOR shared/new.txt",
                              io.BytesIO(b"x")),
                    replyCode(ftp.delete, "shared/readme.txt"),
                    replyCode(ftp.mkd, "shared/new"))

        result = yield inLoggedInClient(self, session)
        self.assertEqual(result, (b"read me", "550", "550", "550", "550"))

    @defer.inlineCallbacks
    def test_writableMount(self):
        """
        The writable mount takes uploads and renames within itself; its
        mount point cannot be renamed or removed, and nothing moves
        across mounts.
        """
        def session(ftp):
            ftp.storbinary("STOR scratch/a.txt", io.BytesIO(b"upload"))
            ftp.rename("scratch/a.txt", "scratch/b.txt")
            chunks = []
            ftp.retrbinary("RETR scratch/b.txt", chunks.append)
            ftp.sendcmd("RNFR scratch/b.txt")
            return (b"".join(chunks),
                    replyCode(ftp.sendcmd, "RNTO top2.txt"),
                    replyCode(ftp.sendcmd, "RNFR scratch"),
                    replyCode(ftp.rmd, "scratch"),
                    replyCode(ftp.mkd, "scratch"),
                    ftp.nlst("scratch"))

        result = yield inLoggedInClient(self, session)
        self.assertEqual(result, (b"upload", "550", "550", "550", "550",
                                  ["scratch/b.txt"]))


class DeepMountTests(unittest.TestCase):
    """
    A mount point below the root, C{/pub/ro}: the directory holding it
    is fixed in place too.
    """

    def setUp(self):
        """
        Make the mount shell.
        """
        self.shell = _MOUNTS.MountShell(
            MemoryShell({"/pub/f.txt": b"f"}),
            {("pub", "ro"): ReadOnlyShell(MemoryShell({"/g.txt": b"g"}))})

    def test_letters(self):
        """
        C{pub} and C{pub/ro} show no delete or rename letter, C{pub/ro}'s
        entries only looking, C{pub}'s other entries everything.
        """
        every = frozenset("acdeflmprw")
        self.assertEqual(self.shell.permittedIn(()),
                         (every, {"pub": every - set("df")}))
        self.assertEqual(self.shell.permittedIn(("pub",)),
                         (every, {"ro": frozenset("elr")}))
        self.assertEqual(self.shell.permitted(("pub", "ro", "g.txt")),
                         frozenset("elr"))

    @defer.inlineCallbacks
    def test_fixedInPlace(self):
        """
        Neither C{pub} nor C{pub/ro} may be renamed or removed; C{pub}
        lists its own file and the mount point.
        """
        for call, args in ((self.shell.rename, (("pub",), ("q",))),
                           (self.shell.rename, (("pub", "ro"), ("q",))),
                           (self.shell.removeDirectory, (("pub",),))):
            yield self.assertFailure(call(*args), PermissionDenied)
        names = [name for name, info in (yield self.shell.list(("pub",)))]
        self.assertEqual(names, ["f.txt", "ro"])
