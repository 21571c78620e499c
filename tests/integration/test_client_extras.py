"""
Client features the other client tests leave out, each as users type it:
lftp copying between two servers (FXP: the data goes from one server to
the other), curl's ranges, times (C{-R}, C{-z}, C{-Q "MFMT ..."}),
appends and several uploads in one command, and tnftp's C{mget} and
C{mput} of names starting or ending with spaces, passive and active.
"""

import os
import shutil

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from tests.clienttrees import treeDigest, writeTree
from tests.integration.test_classic_transfers import ClassicClientsMixin
from tests.scratch import scratchDirectory

LFTP = shutil.which("lftp")
CURL = shutil.which("curl")
TNFTP = shutil.which("tnftp")

TREE = {
    "a/b/deep.bin": os.urandom(300000),
    "a/empty.bin": b"",
    "sp ace/h#sh [1].txt": b"odd\n",
    "\u00fcn\u00ef/\u20ac.txt": b"unicode\n",
}

ODD = {
    " lead.txt": b"lead\n",
    "trail.txt ": b"trail\n",
    "two  spaces.txt": b"two\n",
    'q"uote.txt': b"quote\n",
}

OLD = 1262304000
"""2010-01-01T00:00:00Z, a time no file here has by chance."""


class LftpFxpTests(ClassicClientsMixin, unittest.TestCase):
    """
    lftp's C{mirror} and C{get} from one server's URL to another's: each
    file goes straight from the source server to the target (PASV on one,
    PORT to it on the other), the client only steering.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    def setUp(self):
        ClassicClientsMixin.setUp(self)
        self.target = scratchDirectory(self)
        self.targetServer = self.startServer(
            FilesystemRealm(self.target), ServerConfig(loginFailureDelay=0))

    async def test_treeAndFile(self):
        """
        The tree and a file arrive byte for byte, by FXP: lftp never
        gave up on it for a copy through itself.
        """
        # No empty file: lftp 4.9.2 waits for a copy of one by FXP until
        # its net:timeout, then skips it, with pyftpdlib as with ftpkit.
        tree = {name: data for name, data in TREE.items() if data}
        writeTree(os.path.join(self.root, "tree"), tree, "empty dir")
        source = "ftp://alice:secret@127.0.0.1:%d" % self.server.port
        target = "ftp://alice:secret@127.0.0.1:%d" % self.targetServer.port
        debug = os.path.join(self.local, "debug.txt")
        script = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
                  "set net:max-retries 1; set net:timeout 20; "
                  "set ftp:use-fxp yes; debug 5 -o %s; "
                  "mirror %s/tree %s/copy; "
                  "get %s/tree/a/b/deep.bin -o %s/deep.bin; quit"
                  % (debug, source, target, source, target))
        done = await self.runClient([LFTP, "-e", script], "")
        with open(debug) as f:
            log = f.read()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr + log)
        copy = os.path.join(self.target, "copy")
        self.assertEqual(treeDigest(copy),
                         treeDigest(os.path.join(self.root, "tree")))
        self.assertTrue(os.path.isdir(os.path.join(copy, "empty dir")))
        with open(os.path.join(self.target, "deep.bin"), "rb") as f:
            self.assertEqual(f.read(), TREE["a/b/deep.bin"])
        self.assertNotIn("plain copy", log)
        self.assertNotIn("Timeout", log)
        self.assertIn("---> PORT ", log)


class CurlExtrasTests(ClassicClientsMixin, unittest.TestCase):
    """
    curl's ranges, times, appends and uploads of several files.
    """

    if CURL is None:
        skip = "curl is not installed"

    def setUp(self):
        ClassicClientsMixin.setUp(self)
        self.data = os.urandom(2 * 1024 * 1024 + 3)
        self.served = os.path.join(self.root, "big.bin")
        with open(self.served, "wb") as f:
            f.write(self.data)
        os.utime(self.served, (OLD, OLD))
        self.url = "ftp://127.0.0.1:%d/" % self.server.port

    async def curl(self, *args):
        """
        Run curl as alice and check it succeeded.

        @return: the C{CompletedProcess}.
        """
        done = await self.runClient(
            [CURL, "-sS", "--max-time", "50", "-u", "alice:secret", *args])
        self.assertEqual(done.returncode, 0, done.stderr)
        return done

    def path(self, name):
        """
        @return: the path of C{name} in the client's directory.
        """
        return os.path.join(self.local, name)

    def read(self, path):
        """
        @return: the bytes of the file at C{path}.
        """
        with open(path, "rb") as f:
            return f.read()

    async def test_ranges(self):
        """
        C{-r A-B}, C{-r A-} and C{-r -N} get those bytes and only those.
        """
        for spec, expected in [("100-199", self.data[100:200]),
                               ("2097150-", self.data[2097150:]),
                               ("-10", self.data[-10:]),
                               ("0-0", self.data[:1])]:
            await self.curl("-r", spec, "-o", self.path("r.bin"),
                            self.url + "big.bin")
            self.assertEqual(self.read(self.path("r.bin")), expected, spec)

    async def test_times(self):
        """
        C{-R} gives the download the served file's time (C{MDTM}), C{-z}
        skips a file older than the date, and C{-Q "MFMT ..."} sets a
        served file's time.
        """
        await self.curl("-R", "-o", self.path("t.bin"), self.url + "big.bin")
        self.assertEqual(os.stat(self.path("t.bin")).st_mtime, OLD)
        await self.curl("-z", "1 Jan 2030", "-o", self.path("z.bin"),
                        self.url + "big.bin")
        self.assertFalse(os.path.exists(self.path("z.bin")))
        await self.curl("-z", "1 Jan 2000", "-o", self.path("z.bin"),
                        self.url + "big.bin")
        self.assertEqual(self.read(self.path("z.bin")), self.data)
        await self.curl("-Q", "MFMT 20200102030405 big.bin", "-I",
                        self.url + "big.bin")
        self.assertEqual(os.stat(self.served).st_mtime, 1577934245)

    async def test_appendAndSeveral(self):
        """
        C{-a} appends (C{APPE}), to a new file and then to it; C{-T
        "{a,b}"} with C{--ftp-create-dirs} uploads both into a directory
        it makes, and C{--ftp-method multicwd} makes nested ones.
        """
        for name, data in [("a.txt", b"first\n"), ("b.txt", b"second\n")]:
            with open(self.path(name), "wb") as f:
                f.write(data)
        await self.curl("-a", "-T", self.path("a.txt"), self.url + "log.txt")
        await self.curl("-a", "-T", self.path("b.txt"), self.url + "log.txt")
        self.assertEqual(self.read(os.path.join(self.root, "log.txt")),
                         b"first\nsecond\n")
        await self.curl("--ftp-create-dirs", "-T",
                        "{%s,%s}" % (self.path("a.txt"), self.path("b.txt")),
                        self.url + "new/")
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "new"))),
                         ["a.txt", "b.txt"])
        await self.curl("--ftp-method", "multicwd", "--ftp-create-dirs",
                        "-T", self.path("a.txt"), self.url + "x/y%20z/w/")
        self.assertEqual(
            self.read(os.path.join(self.root, "x", "y z", "w", "a.txt")),
            b"first\n")


class TnftpOddNamesTests(ClassicClientsMixin, unittest.TestCase):
    """
    tnftp's C{mget *} and C{mput *} of names with leading, trailing and
    doubled spaces and a quote, which come back as they were.
    """

    if TNFTP is None:
        skip = "tnftp is not installed"

    async def roundTrip(self, mode, host="127.0.0.1"):
        """
        Fetch L{ODD} with C{mget *}, then send them back with C{mput *}.

        @param mode: C{-p} (passive) or C{-A} (active).
        @param host: the server's address.
        """
        writeTree(os.path.join(self.root, "odd"), ODD)
        os.makedirs(os.path.join(self.root, "back"))
        done = await self.runClient(
            [TNFTP, "-n", mode, host, str(self.server.port)],
            "user alice secret\nbinary\nprompt\ncd odd\nmget *\n"
            "cd /back\nmput *\nbye\n")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        expected = sorted(ODD.items())
        self.assertEqual(sorted(self.fetched().items()), expected)
        back = os.path.join(self.root, "back")
        self.assertEqual(
            sorted((name, self.readServed(back, name))
                   for name in os.listdir(back)), expected)

    def fetched(self):
        """
        @return: the files in the client's directory, by name.
        """
        return {name: self.readServed(self.local, name)
                for name in os.listdir(self.local)}

    def readServed(self, directory, name):
        """
        @return: the bytes of C{name} in C{directory}.
        """
        with open(os.path.join(directory, name), "rb") as f:
            return f.read()

    def test_passive(self):
        """
        In passive mode.
        """
        return self.roundTrip("-p")

    def test_active(self):
        """
        In active mode.
        """
        return self.roundTrip("-A")

