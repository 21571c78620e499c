"""
lftp where it gives up part of the way or is turned away, and carries on:
C{ls -R} piped into C{head} (the pipe closes, lftp sends C{ABOR} in the
middle of a recursive listing) and the session's next listings; parallel
mirrors through C{--workers 2} past C{--max-sessions-per-user} and
C{--max-connections-per-ip} (C{421}, which lftp retries on a new
connection), in clear and over FTPS.
"""

import os
import shutil

from twisted.internet import utils
from twisted.trial import unittest

from tests.clienttrees import makeTree, treeDigest
from tests.tlssupport import FTPSTestsMixin

LFTP = shutil.which("lftp")

CLEAR = "set ftp:ssl-allow no; "
SECURE = ("set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
          "set ssl:verify-certificate no; ")

DIRECTORIES, FILES = 20, 200
"""The listed tree: a recursive listing of it is far larger than the
socket buffers, so that lftp stops reading it part of the way."""


async def lftp(testCase, port, script):
    """
    Run lftp as alice against C{127.0.0.1:port}; it must succeed.

    @return: its standard output.
    """
    out, err, code = await utils.getProcessOutputAndValue(
        LFTP, ["-u", "alice,secret", "-p", str(port), "-e",
               "set cmd:fail-exit yes; set net:max-retries 1; "
               "set net:timeout 20; " + script + "; quit", "127.0.0.1"],
        env=os.environ)
    testCase.assertEqual(code, 0, (script, out, err))
    return out


class AbortedRecursiveListingTests(FTPSTestsMixin, unittest.TestCase):
    """
    lftp's C{ls -R | head -1} twice, then C{cls -1} and a whole
    C{ls -R}, on one session.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    timeout = 120

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        for i in range(DIRECTORIES):
            directory = os.path.join(self.root, "big", "d%02d" % i)
            os.makedirs(directory)
            for j in range(FILES):
                open(os.path.join(directory, "a-rather-long-file-name-%04d"
                                  % j), "w").close()

    async def headThenWhole(self, secure):
        server = self.serve()
        # A closed pipe is a failed command: lftp goes on to the next
        # all the same, and the output below says whether they worked.
        out = await lftp(self, server.port, (
            "%sset cmd:fail-exit no; "
            "ls -R big | head -1; ls -R big | head -1; "
            "cls -1 big/d01; ls -R big" % (SECURE if secure else CLEAR)))
        lines = out.decode().splitlines()
        self.assertEqual(lines[:2], ["big:", "big:"])
        names = ["big/d01/a-rather-long-file-name-%04d" % j
                 for j in range(FILES)]
        self.assertEqual(lines[2:2 + FILES], names)
        whole = lines[2 + FILES:]
        self.assertEqual(whole.count(""), DIRECTORIES)
        self.assertEqual(len(whole),
                         1 + DIRECTORIES + DIRECTORIES * (2 + FILES))
        self.assertEqual(whole[-1].split()[-1],
                         "a-rather-long-file-name-%04d" % (FILES - 1))

    def test_clear(self):
        return self.headThenWhole(False)

    def test_tls(self):
        return self.headThenWhole(True)


class TurnedAwayMirrorTests(FTPSTestsMixin, unittest.TestCase):
    """
    Six parallel transfers of lftp's mirror, both ways, where a user may
    hold two sessions and an address three connections: the connections
    past them get C{421}, lftp connects again, and the trees arrive whole.

    lftp's connection takeover is off: with it, a transfer waiting for a
    connection takes one over from another (C{ABOR} mid-upload, a resume
    later on another connection), and lftp 4.9.2 then hangs with every
    connection idle in about one run of three here (against pyftpdlib
    with two connections an address, ten runs of eleven). The server's
    part of those cut uploads is
    L{tests.unit.test_shell_overtaken}'s.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    timeout = 300

    async def test_mirrors(self):
        from tests.serverprocess import ServerProcess

        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both,
            "--max-sessions-per-user", "2",
            "--max-connections-per-ip", "3"])
        server.waitForGreeting()
        local = os.path.abspath(self.mktemp())
        makeTree(local, files=20)
        os.makedirs(os.path.join(local, "emptydir"))
        open(os.path.join(local, "d1", "empty.bin"), "wb").close()
        for name, secure in (("clear", CLEAR), ("tls", SECURE)):
            back = os.path.abspath(self.mktemp())
            await lftp(self, server.port, (
                "%sset net:max-retries 40; set net:connection-takeover no; "
                "set net:reconnect-interval-base 1; "
                "set net:reconnect-interval-multiplier 1; "
                "mirror -R --parallel=6 %s /%s; mirror --parallel=6 /%s %s"
                % (secure, local, name, name, back)))
            self.assertEqual(treeDigest(os.path.join(self.root, name)),
                             treeDigest(local), server.log())
            self.assertEqual(treeDigest(back), treeDigest(local))
            self.assertTrue(os.path.isdir(os.path.join(back, "emptydir")))
        self.assertIn("Too many", server.log())
