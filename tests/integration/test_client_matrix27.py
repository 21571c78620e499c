"""
Cells of the twenty-seventh client sweep's matrix that the other client
tests leave out, each against C{python -m ftpkit} in a child process:

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
 - rclone's C{rcat} (of nothing too), C{cat} with C{--offset} and
   C{--count}, C{touch}, C{mkdir}, C{rmdir}, C{deletefile},
   C{copyto} of odd names and C{check --download} of a file of 3 MiB,
   over implicit FTPS on C{::1} through C{--workers 2}, and in clear
   with C{PASV} only (C{disable_epsv});
 - wput (Debian's C{wput}, an upload-only client): a tree with an empty
   file, a blank and a UTF-8 name, passive and active (C{-p}), and a
   resumed upload (C{SIZE}, then C{REST} and C{STOR}), through
   C{--workers 2}; in clear (C{--disable-tls}), as wput 0.6.2's TLS
   uploads end without a C{close_notify} (see docs/protocol.rst);
 - ftputil (a Python library that lists with C{LIST} and parses it):
   C{makedirs}, C{upload} of an empty file and UTF-8 names, C{stat},
   C{walk}, C{synchronize_times} (the time shift it measures from a file
   it writes and lists), reads from an offset (C{REST}), C{rename},
   C{chmod} (C{SITE CHMOD}) and C{rmtree}, through C{--workers 2};
 - a tnftp session (C{put} and C{get} of an empty file, a UTF-8 name and
   300 KB, C{size}, C{modtime}, C{rename}, C{delete}, C{mkdir}, C{ls} and
   C{rmdir} of an empty directory) with C{PASV} only, with C{EPRT} and
   with C{PORT}, through C{--workers 2};
 - the JDK's own C{ftp://} URL handler (C{URL.openConnection}, what Java
   programs reach FTP through without a library): a file with a blank
   and an empty one, 300 KB, a directory with and without its slash, and
   an upload (C{;type=i}), through C{--workers 2}.
"""

import os
import re
import shutil
import subprocess
import urllib.request
from urllib.parse import quote

from twisted.trial import unittest

from tests.clientscenario import DRIVERS
from tests.integration.test_client_matrix26 import ServerMixin

try:
    from fsspec.implementations.ftp import FTPFileSystem
except ImportError:  # pragma: no cover (fsspec is in the dev extra)
    FTPFileSystem = None

try:
    import ftputil
    import ftputil.session
except ImportError:  # pragma: no cover (ftputil is in the dev extra)
    ftputil = None

RCLONE = shutil.which("rclone")
WPUT = shutil.which("wput")
TNFTP = shutil.which("tnftp")
JAVA = shutil.which("java")
JAVAC = shutil.which("javac")

UNICODE = "f\u00efl\u00e9 \u20ac.txt"
"""A name with blanks and two- and three-byte UTF-8 characters."""

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


class FsspecTests(ServerMixin, unittest.TestCase):
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


def readBytes(path):
    """
    @return: the bytes of a local file.
    """
    with open(path, "rb") as f:
        return f.read()


class UrllibTests(ServerMixin, unittest.TestCase):
    """
    C{urllib.request.urlopen} of C{ftp://} URLs through C{--workers 2}.
    """

    def setUp(self):
        ServerMixin.setUp(self)
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


class RcloneMoreTests(ServerMixin, unittest.TestCase):
    """
    rclone's commands the round trips of
    L{tests.integration.test_rclone} leave out.
    """

    if RCLONE is None:
        skip = "rclone is not installed"

    def setUp(self):
        ServerMixin.setUp(self)
        self.config = os.path.join(self.local, "rclone.conf")
        open(self.config, "w").close()
        self.settings = {}
        password = self.rclone("obscure", "secret").decode().strip()
        self.settings = {"RCLONE_FTP_USER": "alice",
                         "RCLONE_FTP_PASS": password}

    def rclone(self, *args, stdin=b""):
        """
        Run rclone with no config file, its C{:ftp:} remote set up by
        C{self.settings}; it must succeed.

        @param stdin: what it reads on its standard input.
        @return: its standard output.
        """
        done = subprocess.run(
            [RCLONE, "--retries", "1", "--low-level-retries", "1", *args],
            input=stdin, capture_output=True, timeout=120,
            env=dict(os.environ, RCLONE_CONFIG=self.config, **self.settings))
        self.assertEqual(done.returncode, 0, (args, done.stderr))
        return done.stdout

    def commands(self):
        """
        Drive rclone's single-file and directory commands on the C{:ftp:}
        remote C{self.settings} sets up.
        """
        self.rclone("mkdir", ":ftp:r/empty dir")
        self.assertEqual(os.listdir(self.root), ["r"])
        self.assertEqual(self.rclone("lsf", ":ftp:r/empty dir"), b"")
        self.rclone("rcat", ":ftp:r/nothing.bin")
        self.assertEqual(self.served("r", "nothing.bin"), b"")
        streamed = os.urandom(300001)
        self.rclone("rcat", ":ftp:r/streamed.bin", stdin=streamed)
        self.assertTrue(self.served("r", "streamed.bin") == streamed)
        for offset, count in ((70000, 20), (0, 1), (300000, 5)):
            self.assertEqual(
                self.rclone("cat", "--offset", str(offset), "--count",
                            str(count), ":ftp:r/streamed.bin"),
                streamed[offset:offset + count], (offset, count))
        self.rclone("touch", ":ftp:r/touched.txt")
        self.assertEqual(self.served("r", "touched.txt"), b"")
        self.rclone("touch", "-t", "2019-03-04T05:06:07",
                    ":ftp:r/streamed.bin")
        self.assertEqual(
            int(os.stat(os.path.join(self.root, "r", "streamed.bin"))
                .st_mtime), 1551675967)
        source = os.path.join(self.local, "src")
        os.makedirs(source)
        for name, data in ((UNICODE, b"unicode\n"),
                           ("big.bin", os.urandom(3 << 20)),
                           ("empty.bin", b"")):
            with open(os.path.join(source, name), "wb") as f:
                f.write(data)
            self.rclone("copyto", os.path.join(source, name),
                        ":ftp:r/copied/" + name)
            self.assertTrue(self.served("r", "copied", name) == data, name)
        self.rclone("check", "--download", source, ":ftp:r/copied")
        self.rclone("deletefile", ":ftp:r/copied/big.bin")
        self.assertEqual(sorted(os.listdir(
            os.path.join(self.root, "r", "copied"))), ["empty.bin", UNICODE])
        self.rclone("rmdir", ":ftp:r/empty dir")
        self.assertFalse(os.path.exists(
            os.path.join(self.root, "r", "empty dir")))

    def test_implicitIPv6Workers(self):
        """
        Over implicit FTPS on C{::1}, through C{--workers 2}.
        """
        self.serve("--workers", "2")
        self.needIPv6()
        self.settings.update(
            RCLONE_FTP_HOST="[::1]", RCLONE_FTP_PORT=str(self.implicitPort),
            RCLONE_FTP_TLS="true", RCLONE_FTP_NO_CHECK_CERTIFICATE="true")
        self.commands()

    def test_clearPassive(self):
        """
        In clear, with C{PASV} only, in one process.
        """
        self.serve()
        self.settings.update(
            RCLONE_FTP_HOST="127.0.0.1", RCLONE_FTP_PORT=str(self.port),
            RCLONE_FTP_DISABLE_EPSV="true")
        self.commands()


class WputTests(ServerMixin, unittest.TestCase):
    """
    wput's uploads through C{--workers 2}.
    """

    if WPUT is None:
        skip = "wput is not installed"

    def setUp(self):
        ServerMixin.setUp(self)
        self.source = os.path.join(self.local, "src")
        self.contents = {"empty.bin": b"", "with blank.txt": b"blank\n",
                         UNICODE: b"unicode\n",
                         os.path.join("sub", "big.bin"): os.urandom(1 << 20)}
        for name, data in self.contents.items():
            path = os.path.join(self.source, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        self.serve("--workers", "2")

    def wput(self, *args):
        """
        Run wput in the source tree, in clear (the server offers
        C{AUTH TLS}, which wput would take), which must succeed (it exits
        with 2 and says "Transmission of N files failed" otherwise).

        @return: its output.
        """
        done = subprocess.run(
            [WPUT, "--tries=1", "--disable-tls", "--binary", *args],
            cwd=self.source, capture_output=True, timeout=120,
            stdin=subprocess.DEVNULL)
        self.assertEqual(done.returncode, 0, (args, done.stdout))
        self.assertNotIn(b"Transmission of", done.stdout)
        return done.stdout

    def assertTree(self, top):
        """
        The source tree arrived whole in C{top}.
        """
        for name, data in self.contents.items():
            self.assertTrue(self.served(top, name) == data, (top, name))

    def test_uploads(self):
        """
        The tree, passive and active; then a resumed upload.
        """
        url = "ftp://alice:secret@127.0.0.1:%d/" % self.port
        self.wput("./", url + "passive/")
        self.assertTree("passive")
        self.wput("--port-mode", "./", url + "active/")
        self.assertTree("active")
        big = self.contents[os.path.join("sub", "big.bin")]
        with open(os.path.join(self.root, "passive", "sub", "big.bin"),
                  "wb") as f:
            f.write(big[:300000])
        out = self.wput("--verbose", "sub/big.bin",
                        url + "passive/sub/big.bin")
        self.assertIn(b"==> REST ", out)
        self.assertTrue(self.served("passive", "sub", "big.bin") == big)


class FtputilTests(ServerMixin, unittest.TestCase):
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


class TnftpSessionTests(ServerMixin, unittest.TestCase):
    """
    One tnftp session per data connection mode through C{--workers 2}.
    """

    if TNFTP is None:
        skip = "tnftp is not installed"

    def test_modes(self):
        """
        Each mode: every command's reply is positive, the files come back
        whole, and the session leaves nothing behind.
        """
        self.serve("--workers", "2")
        contents = {"empty.bin": b"", UNICODE: b"unicode\n",
                    "big.bin": os.urandom(300000)}
        for name, data in contents.items():
            with open(os.path.join(self.local, name), "wb") as f:
                f.write(data)
        commands = ['put "%s"' % name for name in contents]
        commands += ["size big.bin", "modtime big.bin"]
        commands += ['get "%s" "back %s"' % (name, name) for name in contents]
        commands += ["rename big.bin moved.bin", "delete moved.bin",
                     "mkdir e", "ls e", "rmdir e", "delete empty.bin",
                     'delete "%s"' % UNICODE, "cd ..", 'rmdir "t dir"']
        for mode in ("epsv4 off", "passive off", "passive off\nepsv4 off"):
            script = "\n".join(["user alice secret", "binary", mode,
                                 'mkdir "t dir"', 'cd "t dir"', *commands,
                                 "bye", ""])
            done = subprocess.run(
                [TNFTP, "-n", "-v", "127.0.0.1", str(self.port)],
                input=script.encode("utf-8"), cwd=self.local,
                capture_output=True, timeout=120)
            out = done.stdout.decode("utf-8", "replace")
            self.assertEqual(done.returncode, 0, (mode, out))
            refused = [line for line in out.splitlines()
                       if re.match(r"[45]\d\d[ -]", line)]
            self.assertEqual(refused, [], (mode, out))
            self.assertIn("big.bin\t300000", out)
            for name, data in contents.items():
                back = os.path.join(self.local, "back " + name)
                self.assertTrue(readBytes(back) == data, (mode, name))
                os.remove(back)
            self.assertEqual(os.listdir(self.root), [], mode)


class JavaURLTests(ServerMixin, unittest.TestCase):
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
