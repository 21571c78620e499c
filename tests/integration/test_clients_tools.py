"""
Command-line clients the other client tests leave out, against
C{python -m ftpkit} in a child process:

 - busybox's C{ftpget} and C{ftpput} (which connect the data connection
   before C{SIZE} and C{REST}), C{-c}, on C{127.0.0.1} and C{::1};
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
 - a tnftp session (C{put} and C{get} of an empty file, a UTF-8 name and
   300 KB, C{size}, C{modtime}, C{rename}, C{delete}, C{mkdir}, C{ls} and
   C{rmdir} of an empty directory) with C{PASV} only, with C{EPRT} and
   with C{PORT}, through C{--workers 2};
 - ncftpput's uploads under a temporary suffix (C{-S .tmp}: C{STOR} of
   C{name.tmp}, C{RNFR}, C{RNTO}, then C{MFMT}) and appends (C{-A}),
   through C{--workers 2}.
"""

import os
import re
import shutil
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import (
    EDGE,
    UNICODE,
    ClientServerMixin,
    readBytes,
    run,
    treeState,
    writeEdge,
    writeEdgeFiles,
)
from tests.clienttrees import readFile
from tests.ipv6 import hasIPv6

BUSYBOX = shutil.which("busybox")
RCLONE = shutil.which("rclone")
WPUT = shutil.which("wput")
TNFTP = shutil.which("tnftp")
NCFTPPUT = shutil.which("ncftpput")


class BusyboxTests(ClientServerMixin, unittest.TestCase):
    """
    busybox's C{ftpget} and C{ftpput}, on C{127.0.0.1} and C{::1}.
    busybox connects the data connection (C{EPSV}) before it sends
    C{SIZE}, C{REST} and C{RETR}.
    """

    if BUSYBOX is None:
        skip = "busybox is not installed"

    def setUp(self):
        ClientServerMixin.setUp(self)
        self.contents = writeEdgeFiles(os.path.join(self.root, "edge"))
        server = self.serve()
        self.hosts = [("127.0.0.1", server.port)]
        if hasIPv6():
            self.hosts.append(("::1", self.v6Port()))

    def v6Port(self):
        """
        Start a second server on C{::1}, on the same root.

        @return: its port.
        """
        server = self.serverProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret"],
            listen=lambda port: ["--listen",
                                 "tcp6:%d:interface=\\:\\:1" % port],
            host="::1")
        server.waitForLog("ftpkit listening on")
        return server.port

    def busybox(self, applet, host, port, *args, ok=True):
        """
        Run one of busybox's applets as alice.

        @return: its C{subprocess.CompletedProcess}.
        """
        command = [BUSYBOX, applet, "-u", "alice", "-p", "secret", "-P",
                   str(port), host, *args]
        if ok:
            return subprocess.CompletedProcess(command, 0, run(self, command))
        return subprocess.run(command, capture_output=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def test_getAndPut(self):
        """
        Each edge file down and up again.
        """
        got = os.path.join(self.local, "got")
        for host, port in self.hosts:
            os.makedirs(os.path.join(self.root, host))
            for name, data in self.contents.items():
                self.busybox("ftpget", host, port, got, "edge/" + name)
                self.assertTrue(readFile(got) == data, (host, name))
                self.busybox("ftpput", host, port, host + "/" + name, got)
                self.assertTrue(self.served(host, name) == data, (host, name))

    def test_continueAndRefusal(self):
        """
        C{ftpget -c} fetches the rest of a partial file (C{REST}); a
        missing file fails with C{RETR}'s C{550} shown.
        """
        data = self.contents["m1 plus one.bin"]
        got = os.path.join(self.local, "partial")
        for host, port in self.hosts:
            with open(got, "wb") as f:
                f.write(data[:65536])
            self.busybox("ftpget", host, port, "-c", got,
                         "edge/m1 plus one.bin")
            self.assertTrue(readFile(got) == data, host)
            done = self.busybox("ftpget", host, port, got, "missing",
                                ok=False)
            self.assertNotEqual(done.returncode, 0, host)
            self.assertIn(b"550", done.stderr, host)


class RcloneMoreTests(ClientServerMixin, unittest.TestCase):
    """
    rclone's commands the round trips of
    L{tests.integration.test_rclone} leave out.
    """

    if RCLONE is None:
        skip = "rclone is not installed"

    def setUp(self):
        ClientServerMixin.setUp(self)
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


class WputTests(ClientServerMixin, unittest.TestCase):
    """
    wput's uploads through C{--workers 2}.
    """

    if WPUT is None:
        skip = "wput is not installed"

    def setUp(self):
        ClientServerMixin.setUp(self)
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


class TnftpSessionTests(ClientServerMixin, unittest.TestCase):
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


class NcftpTests(ClientServerMixin, unittest.TestCase):
    """
    ncftpput's temporary names and appends through C{--workers 2}.
    """

    if NCFTPPUT is None:
        skip = "ncftp is not installed"

    def ncftpput(self, *args):
        """
        Run ncftpput as alice on the clear listener.
        """
        subprocess.run([NCFTPPUT, "-V", "-t", "20", "-u", "alice", "-p",
                        "secret", "-P", str(self.port), *args],
                       check=True, capture_output=True, timeout=120,
                       stdin=subprocess.DEVNULL)

    def test_suffixAndAppend(self):
        """
        C{-S .tmp} uploads each file under its name and C{.tmp}, renames
        it and sets its time (C{MFMT}): what stays is the file with its
        source's time, and no C{.tmp}; C{-A} appends.
        """
        tree = os.path.join(self.local, "tree")
        writeEdge(tree)
        self.serve("--workers", "2")
        flat = sorted(name for name in EDGE if "/" not in name)
        self.ncftpput("-m", "-S", ".tmp", "127.0.0.1", "/up",
                      *(os.path.join(tree, name) for name in flat))
        self.assertEqual(treeState(os.path.join(self.root, "up")),
                         {name: treeState(tree)[name] for name in flat})
        for _ in range(2):
            self.ncftpput("-A", "127.0.0.1", "/up",
                          os.path.join(tree, "k64 plus one.bin"))
        self.assertEqual(self.served("up", "k64 plus one.bin"),
                         3 * treeState(tree)["k64 plus one.bin"][0])
