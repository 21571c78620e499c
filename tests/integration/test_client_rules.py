"""
lftp and curl through a users file with per-directory rules and
symbolic links inside the home, against C{python -m ftpkit --workers 2},
in clear and over explicit FTPS.

The permission shell hands the disk shell each path it acts on with its
rule (L{ftpkit.shells.guardedpaths.Guarded}), which the disk shell's walk
checks again where it reached: these hold that what the rules allow still
works, through links leading to allowed places too (mirrors both ways,
renames, C{chmod}, removals, created directories, resumed uploads), and
that what they refuse, through links leading to refused places, gets
C{550} and leaves the refused places as they were.
"""

import os
import shutil

from twisted.internet import utils
from twisted.trial import unittest

from tests.clienttrees import makeTree, treeDigest
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import Certificates
from tests.usersfiles import ALICE_HASH

LFTP = shutil.which("lftp")
CURL = shutil.which("curl")

USERS = f"""
[users.alice]
password = "{ALICE_HASH}"
home = "alice"
permissions = ["list", "read", "write", "append", "delete", "rename",
               "mkdir", "set-time", "chmod"]
quota = "100M"

[users.alice.directories."/ro"]
permissions = ["list", "read"]

[users.alice.directories."/up"]
permissions = ["list", "write", "append"]

[users.alice.directories."/pub/readonly"]
permissions = ["list"]
"""

LINKS = {
    "rw/toro": "../ro",
    "rw/torofile": "../ro/kept.txt",
    "rw/tosub": "sub",
    "rw/todeep": "sub/deep.txt",
    "rw/toup": "../up",
    "rw/topubro": "../pub/readonly",
    "linkrw": "rw",
}
"""The home's links: to allowed places (C{sub}, C{rw}), to a read-only
directory and file (C{ro}), to an upload-only and a list-only one."""

FILES = {
    "ro/kept.txt": b"kept in the read-only directory\n",
    "up/old.bin": b"u" * 100,
    "pub/readonly/r.txt": b"listed only\n",
    "rw/file.txt": b"in rw\n",
    "rw/sub/deep.txt": b"deep\n",
}

CLEAR = ("set ftp:ssl-allow no; ", [])
SECURE = ("set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
          "set ssl:verify-certificate no; ", ["--ssl-reqd", "-k"])


def snapshot(top):
    """
    @param top: a directory.
    @return: what is below it: each entry's relative path, mode, size,
        modification time and (for a file) bytes, sorted.
    """
    result = []
    for directory, names, files in os.walk(top):
        for name in names + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            data = None
            if name in files and not os.path.islink(path):
                with open(path, "rb") as f:
                    data = f.read()
            result.append((os.path.relpath(path, top), info.st_mode,
                           info.st_size, info.st_mtime_ns, data))
    return sorted(result)


class RulesWithLinksMixin(Certificates):
    """
    A home with rules and links (L{USERS}, L{LINKS}, L{FILES}) served by
    C{python -m ftpkit --workers 2}, with TLS offered.
    """

    timeout = 240

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.home = os.path.join(self.root, "alice")
        for name, data in FILES.items():
            path = os.path.join(self.home, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        for name, target in LINKS.items():
            os.symlink(target, os.path.join(self.home, name))
        users = os.path.join(self.root, "users.toml")
        with open(users, "w") as f:
            f.write(USERS)
        self.server = ServerProcess(self, [
            "--root", self.root, "--realm", "users:" + users,
            "--auth", "users:" + users, "--workers", "2",
            "--tls-cert", self.both])
        self.server.waitForGreeting()
        self.local = os.path.abspath(self.mktemp())
        os.makedirs(self.local)

    def refused(self):
        """
        @return: the L{snapshot}s of the directories the rules keep from
            changing.
        """
        return [snapshot(os.path.join(self.home, name))
                for name in ("ro", "up", "pub")]

    def at(self, name):
        """
        @param name: a path in the home.
        @return: its bytes.
        """
        with open(os.path.join(self.home, name), "rb") as f:
            return f.read()


class LftpRulesTests(RulesWithLinksMixin, unittest.TestCase):
    """
    lftp's parallel mirrors both ways, C{mv}, C{chmod}, C{rm -r} and
    C{ls -R} through links, then what the rules refuse.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    async def lftp(self, script, mustSucceed=True):
        """
        Run lftp as alice.

        @return: its output and error output, text.
        """
        out, err, code = await utils.getProcessOutputAndValue(
            LFTP, ["-u", "alice,secret", "-p", str(self.server.port), "-e",
                   "set cmd:fail-exit %s; set net:max-retries 2; "
                   "set net:timeout 20; set net:connection-takeover no; "
                   % ("yes" if mustSucceed else "no") + script + "; quit",
                   "127.0.0.1"],
            env=os.environ)
        if mustSucceed:
            self.assertEqual(code, 0, (script, out, err, self.server.log()))
        return out.decode(), err.decode()

    async def allowed(self, secure):
        settings = secure[0]
        tree = os.path.join(self.local, "tree")
        makeTree(tree, files=20)
        back = os.path.join(self.local, "back")
        before = self.refused()
        await self.lftp(
            settings + "mirror -R --parallel=4 %s rw/tosub/m; "
            "mirror -R --parallel=4 %s linkrw/n; "
            "mirror --parallel=4 rw/tosub/m %s; "
            "mv rw/tosub/m/d0/e0/f00.bin linkrw/moved.bin; "
            "chmod 600 rw/tosub/m/d1/e1/f01.bin; "
            "rm -r linkrw/n; "
            "put %s/d2/e2/f02.bin -o rw/toup/put.bin"
            % (tree, tree, back, tree))
        sub = os.path.join(self.home, "rw", "sub", "m")
        self.assertEqual(treeDigest(back), treeDigest(tree))
        self.assertEqual(len(treeDigest(sub)), 19)
        with open(os.path.join(tree, "d0", "e0", "f00.bin"), "rb") as f:
            self.assertEqual(self.at("rw/moved.bin"), f.read())
        self.assertEqual(
            os.stat(os.path.join(sub, "d1", "e1", "f01.bin")).st_mode
            & 0o777, 0o600)
        self.assertFalse(os.path.lexists(os.path.join(self.home, "rw", "n")))
        with open(os.path.join(tree, "d2", "e2", "f02.bin"), "rb") as f:
            self.assertEqual(self.at("up/put.bin"), f.read())
        out, _ = await self.lftp(settings + "ls -R rw/toro; cat rw/torofile")
        self.assertIn("kept.txt", out)
        self.assertIn(FILES["ro/kept.txt"].decode(), out)
        self.assertEqual(self.refused()[0], before[0])

    def test_allowedClear(self):
        return self.allowed(CLEAR)

    def test_allowedTLS(self):
        return self.allowed(SECURE)

    async def refusedThroughLinks(self, secure):
        settings = secure[0]
        source = os.path.join(self.local, "s.bin")
        with open(source, "wb") as f:
            f.write(b"s" * 5000)
        before = self.refused()
        _, err = await self.lftp(
            settings + "put %s -o rw/toro/s.bin; rm rw/toro/kept.txt; "
            "rm -r rw/toro; mv rw/toro/kept.txt rw/stolen.txt; "
            "chmod 600 rw/toro/kept.txt; mkdir rw/toro/d; "
            "mirror -R %s rw/topubro/m; get rw/toup/old.bin -o %s/got; "
            "rm rw/toup/old.bin; mv rw/file.txt rw/toro/file.txt"
            % (source, self.local, self.local), mustSucceed=False)
        self.assertGreaterEqual(err.count("550"), 10, err)
        self.assertEqual(self.refused(), before)
        self.assertFalse(os.path.exists(os.path.join(self.local, "got")))
        self.assertFalse(os.path.lexists(os.path.join(self.home, "rw",
                                                      "stolen.txt")))
        self.assertEqual(self.at("rw/file.txt"), FILES["rw/file.txt"])

    def test_refusedClear(self):
        return self.refusedThroughLinks(CLEAR)

    def test_refusedTLS(self):
        return self.refusedThroughLinks(SECURE)


class CurlRulesTests(RulesWithLinksMixin, unittest.TestCase):
    """
    curl's uploads (with C{--ftp-create-dirs}, resumed), downloads and
    C{-Q} commands through links, then what the rules refuse.
    """

    if CURL is None:
        skip = "curl is not installed"

    async def curl(self, secure, path, *options):
        """
        Run curl as alice on C{path}.

        @return: its exit status and error output, text.
        """
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-s", "-S", "--max-time", "60", "-u", "alice:secret",
                   *secure[1], *options,
                   "ftp://127.0.0.1:%d/%s" % (self.server.port, path)],
            env=os.environ)
        return code, out, err.decode()

    async def allowed(self, secure):
        source = os.path.join(self.local, "c.txt")
        with open(source, "wb") as f:
            f.write(b"curl upload\n")
        before = self.refused()
        for path in ("rw/tosub/n1/n2/c.txt", "linkrw/n3/c.txt",
                     "rw/toup/c.txt"):
            code, _, err = await self.curl(secure, path, "-T", source,
                                           "--ftp-create-dirs")
            self.assertEqual(code, 0, (path, err, self.server.log()))
        self.assertEqual(self.at("rw/sub/n1/n2/c.txt"), b"curl upload\n")
        self.assertEqual(self.at("rw/n3/c.txt"), b"curl upload\n")
        self.assertEqual(self.at("up/c.txt"), b"curl upload\n")
        code, out, err = await self.curl(secure, "rw/torofile")
        self.assertEqual((code, out), (0, FILES["ro/kept.txt"]), err)
        code, out, err = await self.curl(secure, "rw/toro/kept.txt")
        self.assertEqual((code, out), (0, FILES["ro/kept.txt"]), err)
        # Resumed from the end in an upload-only directory, through a link.
        with open(source, "ab") as f:
            f.write(b"and more\n")
        code, _, err = await self.curl(secure, "rw/toup/c.txt", "-C", "-",
                                       "-T", source)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.at("up/c.txt"), b"curl upload\nand more\n")
        quoted = []
        for command in ("SITE CHMOD 600 rw/tosub/n1/n2/c.txt",
                        "MFMT 20200102030405 linkrw/sub/n1/n2/c.txt",
                        "RNFR rw/tosub/n1/n2/c.txt", "RNTO linkrw/r.txt",
                        "MKD rw/tosub/q", "RMD linkrw/sub/q",
                        "DELE rw/n3/c.txt", "RMD linkrw/n3",
                        "DELE rw/todeep"):
            quoted += ["-Q", "-" + command]
        code, _, err = await self.curl(secure, "", "-l", *quoted)
        self.assertEqual(code, 0, (err, self.server.log()))
        moved = os.stat(os.path.join(self.home, "rw", "r.txt"))
        self.assertEqual(moved.st_mode & 0o777, 0o600)
        self.assertEqual(int(moved.st_mtime), 1577934245)
        for gone in ("rw/sub/q", "rw/n3", "rw/todeep"):
            self.assertFalse(os.path.lexists(os.path.join(self.home, gone)))
        self.assertEqual(self.at("rw/sub/deep.txt"), FILES["rw/sub/deep.txt"])
        self.assertEqual(self.refused()[0], before[0])

    def test_allowedClear(self):
        return self.allowed(CLEAR)

    def test_allowedTLS(self):
        return self.allowed(SECURE)

    async def refusedThroughLinks(self, secure):
        source = os.path.join(self.local, "c.txt")
        with open(source, "wb") as f:
            f.write(b"curl upload\n")
        before = self.refused()
        for path, options, expected in [
                ("rw/toro/c.txt", ["-T", source], 25),
                ("rw/toro/kept.txt", ["-T", source], 25),
                ("rw/topubro/c.txt", ["-T", source], 25),
                ("rw/toro/d/c.txt", ["-T", source, "--ftp-create-dirs"], 9),
                ("rw/toup/old.bin", [], 78),
                ("rw/topubro/r.txt", [], 78)]:
            code, _, err = await self.curl(secure, path, *options)
            self.assertEqual(code, expected, (path, err))
        for command in ("DELE rw/toro/kept.txt", "RMD rw/toro",
                        "SITE CHMOD 600 rw/toro/kept.txt",
                        "MFMT 20200102030405 rw/toro/kept.txt",
                        "RNFR rw/toro/kept.txt", "DELE rw/toup/old.bin",
                        "MKD rw/toup/d", "MKD rw/topubro/d"):
            code, _, err = await self.curl(secure, "", "-v", "-l", "-Q",
                                           "-" + command)
            self.assertEqual(code, 21, (command, err))
            self.assertIn("< 550 ", err)
        code, _, err = await self.curl(
            secure, "", "-l", "-Q", "-RNFR rw/file.txt", "-Q",
            "-RNTO rw/toro/file.txt")
        self.assertEqual(code, 21, err)
        self.assertEqual(self.refused(), before)
        self.assertEqual(self.at("rw/file.txt"), FILES["rw/file.txt"])

    def test_refusedClear(self):
        return self.refusedThroughLinks(CLEAR)

    def test_refusedTLS(self):
        return self.refusedThroughLinks(SECURE)
