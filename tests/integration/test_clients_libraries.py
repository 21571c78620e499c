"""
Client libraries programs reach FTP through, against C{python -m ftpkit}
in a child process:

 - fsspec's C{FTPFileSystem} (what pandas and dask open C{ftp://} URLs
   with): C{makedirs}, uploads through C{open("wb")} (one C{REST n} and
   C{STOR} for each block it writes, C{REST 0} first), replacing a file
   with a shorter one, C{ls}, C{info}, whole and ranged reads (a range
   ending before the file does is cut with C{ABOR}, whose two replies it
   reads), C{get_file}, C{mv}, C{rm -r}, C{rmdir}; in clear and over
   implicit FTPS on C{::1} through C{--workers 2}, and over explicit
   FTPS;
 - Python's C{urllib.request} (C{ftp://} URLs, as C{urlretrieve} and
   pandas open them): a file with a blank and one with a non-ASCII
   name, an empty file, a directory named with and without its trailing
   slash (C{RETR} first, then C{CWD} and C{LIST} on its C{550}) and an
   empty one, through C{--workers 2};
 - ftputil (a Python library that lists with C{LIST} and parses it):
   C{makedirs}, C{upload} of an empty file and UTF-8 names, C{stat},
   C{walk}, C{synchronize_times} (the time shift it measures from a file
   it writes and lists), reads from an offset (C{REST}), C{rename},
   C{chmod} (C{SITE CHMOD}) and C{rmtree}, through C{--workers 2}; and
   over explicit FTPS (C{PROT P}) in passive mode, and over implicit FTPS
   on C{::1} in active mode (C{EPRT}) through C{--workers 2};
 - the JDK's own C{ftp://} URL handler (C{URL.openConnection}, what Java
   programs reach FTP through without a library): a file with a blank
   and an empty one, 300 KB, a directory with and without its slash, and
   an upload (C{;type=i}), through C{--workers 2}.
"""

import ftplib
import os
import shutil
import subprocess
import urllib.request
from urllib.parse import quote

from twisted.trial import unittest

from tests.clientmatrix import (
    EDGE,
    UNICODE,
    ClientServerMixin,
    readBytes,
    writeEdge,
)
from tests.clientscenario import DRIVERS
from tests.clienttrees import readFile
from tests.tlssupport import ImplicitFTPTLS, clientContext

try:
    from fsspec.implementations.ftp import FTPFileSystem
except ImportError:  # pragma: no cover (fsspec is in the dev extra)
    FTPFileSystem = None

try:
    import ftputil
    import ftputil.session
except ImportError:  # pragma: no cover (ftputil is in the dev extra)
    ftputil = None

JAVA = shutil.which("java")
JAVAC = shutil.which("javac")

BLOCK = 65536
"""fsspec's block size: it uploads and reads ahead in blocks of it."""


def fsspecLogin(host, port, tls=False):
    """
    @param tls: C{True} for explicit FTPS (C{AUTH TLS}, then C{PROT P}),
        C{"tls"} for implicit FTPS.
    @return: an fsspec C{FTPFileSystem} logged in as alice.
    """
    return FTPFileSystem(host, port, username="alice", password="secret",
                         tls=tls, timeout=30)


def writeInPieces(fs, path, data, piece=10000):
    """
    Write C{data} to C{path} through C{fs.open(path, "wb")}, in pieces of
    C{piece} bytes: fsspec sends a block (C{REST n}, C{STOR}) each time
    its buffer holds L{BLOCK} bytes or more, and the rest on close.
    """
    with fs.open(path, "wb", block_size=BLOCK) as f:
        for start in range(0, len(data), piece):
            f.write(data[start:start + piece])


class FsspecTests(ClientServerMixin, unittest.TestCase):
    """
    fsspec's C{FTPFileSystem} through a tree of edge entries.
    """

    if FTPFileSystem is None:
        skip = "fsspec is not installed"

    def roundTrip(self, fs):
        """
        Make a tree with fsspec, read it back every way it reads, change
        it, and remove it.
        """
        top = "/fs tree/sub dir"
        fs.makedirs(top + "/empty dir")
        contents = {"empty.bin": b"", UNICODE: b"unicode\n",
                    "big.bin": os.urandom(5 * BLOCK + 7),
                    "block.bin": os.urandom(BLOCK)}
        for name, data in contents.items():
            writeInPieces(fs, top + "/" + name, data)
            self.assertTrue(self.served("fs tree", "sub dir", name) == data,
                            name)
        listed = {entry["name"]: entry for entry in fs.ls(top)}
        self.assertEqual(
            sorted(listed),
            sorted(top + "/" + name for name in [*contents, "empty dir"]))
        for name, data in contents.items():
            self.assertEqual(listed[top + "/" + name]["size"], len(data))
            self.assertEqual(listed[top + "/" + name]["type"], "file")
        self.assertEqual(listed[top + "/empty dir"]["type"], "directory")
        self.assertEqual(fs.ls(top + "/empty dir"), [])
        self.assertEqual(fs.info(top + "/big.bin")["size"],
                         len(contents["big.bin"]))

        big = contents["big.bin"]
        session = fs.ftp
        self.assertTrue(fs.cat_file(top + "/big.bin") == big)
        self.assertTrue(fs.cat_file(top + "/big.bin", start=BLOCK + 3)
                        == big[BLOCK + 3:])
        self.assertEqual(fs.cat_file(top + "/empty.bin"), b"")
        for start, end in ((0, 10), (BLOCK - 1, BLOCK + 1),
                           (2 * BLOCK, 2 * BLOCK + 100)):
            self.assertTrue(
                fs.cat_file(top + "/big.bin", start=start, end=end)
                == big[start:end], (start, end))
        with fs.open(top + "/big.bin", "rb") as f:
            f.seek(3 * BLOCK)
            self.assertTrue(f.read(5) == big[3 * BLOCK:3 * BLOCK + 5])
        # The same session (fsspec logs in again when ABOR's replies are
        # not what it reads), still in step after the cut reads.
        self.assertIs(fs.ftp, session)
        self.assertEqual(fs.ftp.pwd(), "/")
        got = os.path.join(self.local, "got")
        for name, data in contents.items():
            fs.get_file(top + "/" + name, got)
            self.assertTrue(readBytes(got) == data, name)

        # Replacing a file with a shorter one (REST 0 and STOR) leaves
        # nothing of the longer one; with a longer one, every block.
        writeInPieces(fs, top + "/big.bin", b"short\n")
        self.assertEqual(self.served("fs tree", "sub dir", "big.bin"),
                         b"short\n")
        longer = os.urandom(3 * BLOCK + 1)
        writeInPieces(fs, top + "/block.bin", longer)
        self.assertTrue(self.served("fs tree", "sub dir", "block.bin")
                        == longer)

        fs.mv(top + "/" + UNICODE, top + "/empty dir/moved.txt")
        self.assertEqual(self.served("fs tree", "sub dir", "empty dir",
                                     "moved.txt"), b"unicode\n")
        fs.rm_file(top + "/empty dir/moved.txt")
        fs.rmdir(top + "/empty dir")
        fs.invalidate_cache()
        fs.rm("/fs tree", recursive=True)
        self.assertEqual(os.listdir(self.root), [])

    def test_workers(self):
        """
        In clear, then over implicit FTPS on C{::1} (where there is IPv6),
        through C{--workers 2}. fsspec's implicit FTPS (C{tls="tls"})
        sends no C{PROT P} and opens its data connections in clear, which
        an implicit listener protects without it: the workaround, its
        C{ftp.prot_p()} after logging in.
        """
        self.serve("--workers", "2")
        self.roundTrip(fsspecLogin("127.0.0.1", self.port))
        if self.implicitPort is not None:
            fs = fsspecLogin("::1", self.implicitPort, tls="tls")
            fs.ftp.prot_p()
            self.roundTrip(fs)

    def test_explicitTLS(self):
        """
        Over explicit FTPS (C{AUTH TLS}, C{PROT P}), in one process.
        """
        self.serve()
        self.roundTrip(fsspecLogin("127.0.0.1", self.port, tls=True))


class UrllibTests(ClientServerMixin, unittest.TestCase):
    """
    C{urllib.request.urlopen} of C{ftp://} URLs through C{--workers 2}.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        self.contents = {"with blank.txt": b"blank\n", UNICODE: b"unicode\n",
                         "empty.bin": b"", "big.bin": os.urandom(300001)}
        os.makedirs(os.path.join(self.root, "dir", "empty dir"))
        for name, data in self.contents.items():
            with open(os.path.join(self.root, "dir", name), "wb") as f:
                f.write(data)
        self.serve("--workers", "2")

    def fetch(self, path):
        """
        @param path: a path below the root, not yet percent-encoded.
        @return: the bytes C{urlopen} reads from it, as alice.
        """
        url = "ftp://alice:secret@127.0.0.1:%d/%s" % (self.port, quote(path))
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()

    def test_filesAndDirectories(self):
        """
        Each file, whole, its length announced in the C{150} reply; a
        directory lists with and without its trailing slash; an empty one
        lists nothing; a missing file fails with the C{550}. Each of these
        took five seconds more before (the linger: urllib waits for the
        C{226} before it closes the data connection).
        """
        for name, data in self.contents.items():
            self.assertTrue(self.fetch("dir/" + name) == data, name)
        url = "ftp://alice:secret@127.0.0.1:%d/dir/big.bin" % self.port
        with urllib.request.urlopen(url, timeout=30) as response:
            self.assertEqual(response.headers["Content-length"], "300001")
        for path in ("dir/", "dir"):
            listing = self.fetch(path).decode("utf-8")
            for name in [*self.contents, "empty dir"]:
                self.assertIn(name, listing, path)
        self.assertEqual(self.fetch("dir/empty dir/"), b"")
        self.assertEqual(self.fetch("dir/empty dir"), b"")
        error = self.assertRaises(urllib.error.URLError, self.fetch,
                                  "dir/missing.txt")
        self.assertIn("550", str(error))


class FtputilTests(ClientServerMixin, unittest.TestCase):
    """
    ftputil's C{FTPHost} through C{--workers 2}.
    """

    if ftputil is None:
        skip = "ftputil is not installed"

    def test_tree(self):
        """
        A tree made, uploaded, listed, read, changed and removed.
        """
        self.serve("--workers", "2")
        factory = ftputil.session.session_factory(port=self.port,
                                                  encoding="utf-8")
        contents = {UNICODE: b"unicode\n", "empty.bin": b"",
                    "big.bin": os.urandom(300001)}
        top = "/ft/a b/\u00fc"
        with ftputil.FTPHost("127.0.0.1", "alice", "secret",
                             session_factory=factory) as host:
            host.makedirs(top + "/empty dir")
            for name, data in contents.items():
                local = os.path.join(self.local, name)
                with open(local, "wb") as f:
                    f.write(data)
                host.upload(local, top + "/" + name)
                self.assertEqual(host.path.getsize(top + "/" + name),
                                 len(data), name)
            self.assertEqual(sorted(host.listdir(top)),
                             sorted([*contents, "empty dir"]))
            self.assertTrue(host.path.isdir(top + "/empty dir"))
            self.assertEqual(host.listdir(top + "/empty dir"), [])
            self.assertEqual(
                [(path, sorted(files)) for path, _, files in host.walk(
                    "/ft")][-2:],
                [(top, sorted(contents)), (top + "/empty dir", [])])
            host.synchronize_times()
            self.assertEqual(host.time_shift(), 0)
            with host.open(top + "/big.bin", "rb", rest=70000) as f:
                self.assertTrue(f.read() == contents["big.bin"][70000:])
            host.rename(top + "/" + UNICODE, top + "/renamed.txt")
            host.chmod(top + "/renamed.txt", 0o600)
            host.stat_cache.clear()
            self.assertEqual(host.stat(top + "/renamed.txt").st_mode & 0o777,
                             0o600)
            host.rmtree("/ft")
            self.assertFalse(host.path.exists("/ft"))
        self.assertEqual(os.listdir(self.root), [])


class FtputilTLSTests(ClientServerMixin, unittest.TestCase):
    """
    ftputil over FTPS, passive and active.
    """

    if ftputil is None:
        skip = "ftputil is not installed"

    def roundTrip(self, host, port, passive, implicit=False):
        """
        Upload the edge files with ftputil, read them back whole and from
        an offset, walk the tree and remove it.
        """
        tree = os.path.join(self.local, "tree")
        if not os.path.isdir(tree):
            writeEdge(tree)

        class Session(ImplicitFTPTLS if implicit else ftplib.FTP_TLS):
            def __init__(self):
                super().__init__(context=clientContext(), timeout=30,
                                 encoding="utf-8")
                self.connect(host, port, 30)
                self.login("alice", "secret")
                self.prot_p()
                self.set_pasv(passive)

        top = "ftputil %s" % ("passive" if passive else "active")
        got = os.path.join(self.local, "got")
        with ftputil.FTPHost(session_factory=Session) as remote:
            for name, size in EDGE.items():
                remote.makedirs(os.path.dirname(top + "/" + name),
                                exist_ok=True)
                remote.upload(os.path.join(tree, name), top + "/" + name)
                remote.download(top + "/" + name, got)
                self.assertEqual(readFile(got), readFile(
                    os.path.join(tree, name)), name)
                self.assertEqual(remote.stat(top + "/" + name).st_size, size)
            with remote.open(top + "/k64 plus one.bin", "rb",
                             rest=64 << 10) as f:
                self.assertEqual(f.read(), self.served(
                    top, "k64 plus one.bin")[64 << 10:])
            walked = sorted(os.path.join(directory, name)
                            for directory, _, names in remote.walk(top)
                            for name in names)
            self.assertEqual(walked, sorted(top + "/" + name
                                            for name in EDGE))
            remote.rmtree(top)
        self.assertEqual(os.listdir(self.root), [])

    def test_passiveAndActive(self):
        """
        Over explicit FTPS in passive mode, then over implicit FTPS on
        C{::1} in active mode (C{EPRT}), through C{--workers 2}.
        """
        self.serve("--workers", "2")
        self.roundTrip("127.0.0.1", self.port, True)
        if self.implicitPort is not None:
            self.roundTrip("::1", self.implicitPort, False, implicit=True)


class JavaURLTests(ClientServerMixin, unittest.TestCase):
    """
    The JDK's C{ftp://} URL handler (C{tests/clients/JavaUrlDrive.java},
    run as a source file) through C{--workers 2}.
    """

    if JAVA is None or JAVAC is None:
        skip = "java and javac are not installed (a JDK)"

    def test_getAndStore(self):
        """
        Each file whole, each directory listed, the upload stored.
        """
        contents = {"a b.txt": b"blank\n", "empty.bin": b"",
                    "big.bin": os.urandom(300000)}
        os.makedirs(os.path.join(self.root, "d", "empty dir"))
        for name, data in contents.items():
            with open(os.path.join(self.root, "d", name), "wb") as f:
                f.write(data)
        self.serve("--workers", "2")
        paths = ["d/" + quote(name) for name in contents] + ["d/", "d"]
        done = subprocess.run(
            [JAVA, os.path.join(DRIVERS, "JavaUrlDrive.java"),
             str(self.port), self.local, *paths],
            capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.decode().split("\n")[-2], "stored")
        for index, data in enumerate(contents.values()):
            got = readBytes(os.path.join(self.local, "got%d" % index))
            self.assertTrue(got == data, paths[index])
        for index in (3, 4):
            listing = readBytes(os.path.join(self.local, "got%d" % index))
            for name in [*contents, "empty dir"]:
                self.assertIn(name.encode(), listing, paths[index])
        self.assertEqual(self.served("d", "up.bin"), b"\0" * 70000)
