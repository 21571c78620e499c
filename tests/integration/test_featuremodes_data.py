"""
Session 40's data-side features in every mode a deployment runs
(L{tests.featuremodes}: C{twistd -n} and C{python -m}, one process and
C{--workers 2}, C{127.0.0.1} and C{::1}), over explicit and implicit
FTPS, passive (C{PASV} on IPv4, C{EPSV} on IPv6) and active (C{PORT},
C{EPRT}) data connections:

  - the bound on a data connection's answers to TLS 1.3 KeyUpdate
    requests (L{ftpkit.data.tlslayer.ANSWERS_LIMIT}): a client asking for a
    few during a long transfer keeps working;
  - C{LIST -d}, C{-t}, C{-r} and C{STAT -d} under C{PROT P}, and on every
    realm (disk, C{memory}, C{fsspec:file://}, C{users:});
  - small uploads into a directory a file system is mounted on, then
    unmounted from, between uploads of one session (the mount table's
    last reading reused, L{ftpkit.shells.shortcalls.ShortCalls.onDescriptors}).
"""

import ftplib
import io
import os
import socket
import subprocess

from twisted.trial import unittest

from tests.featuremodes import (
    WAIT,
    ModeServerMixin,
    UpdatingDataClient,
    listedNames,
    modes,
)
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import startServer
from tests.tlssupport import ImplicitFTPTLS, clientContext
from tests.usersfiles import ALICE_HASH, writeText

SIZE = 6 * 1024 * 1024 + 7
"""A long transfer's bytes."""

EVERY = 1024 * 1024
"""A KeyUpdate is asked for after each so many bytes."""


class DataModeTests(ModeServerMixin):
    """
    Transfers and listings over C{PROT P} data connections.
    """

    def setUp(self):
        self.makeRoot()
        self.payload = os.urandom(SIZE)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(self.payload)
        self.startServer()

    def ftps(self, implicit):
        """
        @return: an ftplib client logged in over TLS, C{PROT P}, C{TYPE I}.
        """
        if implicit:
            client, port = ImplicitFTPTLS(context=clientContext()), \
                self.implicitPort
        else:
            client, port = ftplib.FTP_TLS(context=clientContext()), \
                self.server.port
        return ftplibLogin(self, port, host=self.host, timeout=WAIT,
                           client=client, protect=True, binary=True)

    def dataConnection(self, ftp, command, active):
        """
        Send C{command} and connect its data connection: passive or
        active, as ftplib picks for the address family (C{PASV} or
        C{EPSV}; C{PORT} or C{EPRT}).

        @return: the connected socket (closed when the test ends).
        """
        if active:
            with ftp.makeport() as listener:
                listener.settimeout(WAIT)
                self.assertEqual(ftp.sendcmd(command)[:3], "150")
                sock = listener.accept()[0]
        else:
            host, port = ftp.makepasv()
            ftp.putcmd(command)
            sock = socket.create_connection((host, port), timeout=WAIT)
            self.assertEqual(ftp.getresp()[:3], "150")
        sock.settimeout(WAIT)
        self.addCleanup(sock.close)
        return sock

    def test_keyUpdatesDuringTransfers(self):
        """
        A download and an upload whose client asks for a KeyUpdate every
        MiB, passive and active, on either listener: whole, C{226}.
        """
        for implicit, active in [(True, False), (False, True)]:
            ftp = self.ftps(implicit)
            sock = self.dataConnection(ftp, "RETR big.bin", active)
            got = UpdatingDataClient(sock).download(EVERY)
            sock.close()
            self.assertEqual(ftp.voidresp()[:3], "226")
            self.assertEqual(got, self.payload)
            sock = self.dataConnection(ftp, "STOR up.bin", not active)
            UpdatingDataClient(sock).upload(self.payload, EVERY)
            sock.close()
            self.assertEqual(ftp.voidresp()[:3], "226")
            with open(os.path.join(self.root, "up.bin"), "rb") as f:
                self.assertEqual(f.read(), self.payload)
        self.assertNoTraceback()

    def test_listOptions(self):
        """
        C{LIST -d}, C{-t}, C{-tr}, C{-r} over C{PROT P}, passive and
        active, and C{STAT -d}, on either listener.
        """
        for implicit, active in [(True, False), (False, True)]:
            ftp = self.ftps(implicit)
            for command, names in [
                    ("LIST -d dated", ["dated"]),
                    ("LIST -t dated", ["a.txt", "c.txt", "b.txt"]),
                    ("LIST -tr dated", ["b.txt", "c.txt", "a.txt"]),
                    ("LIST -r dated", ["c.txt", "b.txt", "a.txt"])]:
                sock = clientContext().wrap_socket(
                    self.dataConnection(ftp, command, active))
                with sock.makefile("rb") as f:
                    data = f.read()
                sock.unwrap()
                sock.close()
                self.assertEqual(ftp.voidresp()[:3], "226")
                self.assertEqual(listedNames(data.decode().splitlines()),
                                 names)
            self.assertEqual(
                listedNames(ftp.sendcmd("STAT -d dated").splitlines()[1:-1]),
                ["dated"])
        self.assertNoTraceback()


modes(DataModeTests, "DataModes", globals())


class RealmListingTests(unittest.TestCase):
    """
    C{LIST -d}, C{-t}, C{-r} and C{STAT -d}, C{-t} on each realm, the
    times set with C{MFMT}, next to what an MLSD-era client asks
    (C{MLSD}, C{MLST}).
    """

    timeout = 120

    def check(self, *options, user="alice"):
        """
        Start C{python -m ftpkit} with C{options}, make C{d} with three
        files of three times and a directory, and check the listings.
        """
        server, self.root = startServer(self, *options)
        ftp = server.login(user, "secret")
        ftp.mkd("d")
        for name, when in [("a.txt", "20200101000000"),
                           ("c.txt", "20220101000000"),
                           ("b.txt", "20210101000000")]:
            ftp.storbinary("STOR d/" + name, io.BytesIO(name.encode()))
            self.assertEqual(ftp.sendcmd(f"MFMT {when} d/{name}")[:3],
                             "213")
        ftp.mkd("d/sub")

        def listing(command):
            lines = []
            ftp.retrlines(command, lines.append)
            return listedNames(lines)

        self.assertEqual(listing("LIST -d d"), ["d"])
        self.assertEqual(listing("LIST -d d/sub"), ["d/sub"])
        self.assertEqual(listing("LIST -d d/.."), ["d/.."])
        self.assertEqual(listing("LIST -t d"),
                         ["sub", "c.txt", "b.txt", "a.txt"])
        self.assertEqual(listing("LIST -ltr d"),
                         ["a.txt", "b.txt", "c.txt", "sub"])
        self.assertEqual(listing("LIST -r d"),
                         ["sub", "c.txt", "b.txt", "a.txt"])
        self.assertEqual(
            listedNames(ftp.sendcmd("STAT -d d").splitlines()[1:-1]), ["d"])
        self.assertEqual(
            listedNames(ftp.sendcmd("STAT -t d").splitlines()[1:-1]),
            ["sub", "c.txt", "b.txt", "a.txt"])
        facts = []
        ftp.retrlines("MLSD d", facts.append)
        self.assertEqual(sorted(line.split("; ", 1)[1] for line in facts
                                if "type=file" in line),
                         ["a.txt", "b.txt", "c.txt"])
        self.assertIn("modify=20220101000000",
                      ftp.sendcmd("MLST d/c.txt").lower())
        ftp.quit()
        self.assertNotIn("Traceback", server.log())

    def test_disk(self):
        """
        The default realm (local disk).
        """
        self.check()

    def test_memory(self):
        """
        C{--realm memory}.
        """
        self.check("--realm", "memory")

    def test_fsspecFile(self):
        """
        C{--realm fsspec:file://DIR}.
        """
        served = scratchDirectory(self)
        self.check("--realm", "fsspec:file://" + served)

    def test_usersHomes(self):
        """
        C{--realm users:PATH}: alice in her home below the root.
        """
        users = os.path.join(scratchDirectory(self), "users.toml")
        writeText(users, f'[users.alice]\npassword = "{ALICE_HASH}"\n'
                  'permissions = ["list", "read", "write", "mkdir", '
                  '"set-time"]\n')
        self.check("--realm", "users:" + users, "--auth", "users:" + users)


class MountBetweenUploadsTests(unittest.TestCase):
    """
    A file system mounted on a directory, then unmounted, between small
    uploads of one session into it (by path, and from it as the working
    directory): each upload lands where the directory's name leads at
    the time, in one process and under C{--workers 2}.
    """

    timeout = 120

    def mount(self, point):
        """
        Mount a small C{tmpfs} on C{point} (root only; skipped where
        not permitted), unmounted lazily when the test ends if still
        mounted.
        """
        if os.geteuid() != 0:
            raise unittest.SkipTest("mounting a tmpfs needs root")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m",
                               "tmpfs", point], capture_output=True)
        if done.returncode != 0:
            raise unittest.SkipTest(f"cannot mount: {done.stderr!r}")
        self.addCleanup(subprocess.run, ["umount", "-l", point],
                        capture_output=True)

    def check(self, *options):
        """
        Upload into C{m} before, while and after a C{tmpfs} is mounted
        on it.
        """
        if os.geteuid() != 0:
            raise unittest.SkipTest("mounting a tmpfs needs root")
        server, root = startServer(self, *options)
        point = os.path.join(root, "m")
        os.mkdir(point)
        for inside in (False, True):
            ftp = server.login("alice", "secret")
            prefix = "" if inside else "m/"
            if inside:
                ftp.cwd("m")

            def upload(name, ftp=ftp, prefix=prefix):
                ftp.storbinary("STOR " + prefix + name, io.BytesIO(b"x"))
                return os.stat(os.path.join(point, name)).st_dev

            rootDevice = os.stat(root).st_dev
            self.assertEqual(upload(f"before{inside}"), rootDevice)
            self.mount(point)
            mounted = os.stat(point).st_dev
            self.assertNotEqual(mounted, rootDevice)
            self.assertEqual([upload(f"on{inside}{n}") for n in range(2)],
                             [mounted] * 2)
            subprocess.run(["umount", point], check=True)
            self.assertEqual([upload(f"after{inside}{n}") for n in range(2)],
                             [rootDevice] * 2)
            ftp.quit()
        self.assertEqual(sorted(os.listdir(point)), sorted(
            f"{when}{inside}{n}" for inside in (False, True)
            for when, n in [("before", ""), ("after", 0), ("after", 1)]))
        self.assertNotIn("Traceback", server.log())

    def test_oneProcess(self):
        """
        One process.
        """
        self.check()

    def test_workers(self):
        """
        Under C{--workers 2}.
        """
        self.check("--workers", "2")
