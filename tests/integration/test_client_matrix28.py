"""
Cells of the twenty-eighth client sweep's matrix that the other client
tests leave out, each against C{python -m ftpkit} in a child process,
comparing what arrives (content, and times where the client keeps them)
byte for byte with the source:

 - lftp's three ways of setting a file's time after an upload: C{MFMT}
   (listed by C{FEAT}), and with C{ftp:use-feat no} the one-time form of
   C{SITE UTIME} (C{ftp:use-site-utime2}) or, without it, the
   three-time form (C{SITE UTIME path atime mtime ctime UTC}), each with
   a mirror of an edge tree (an empty file, one byte, 64 KiB and one
   more, UTF-8, blanks, a leading dash, C{#}, C{%}, empty directories)
   up and back through C{--workers 2}; back without C{FEAT}, lftp lists
   with C{LIST} and takes each time from C{MDTM};
 - lftp with the settings no other test changes (C{ftp:use-allo},
   C{ftp:use-pret yes}, which sends C{PRET} and goes on after its
   C{500}, C{ftp:rest-list}, C{ftp:use-site-idle}, C{ftp:use-telnet-iac
   no}, C{ftp:strict-multiline}, C{ftp:prefer-epsv}) over implicit FTPS
   on C{::1};
 - curl's own listing commands (C{-X MLSD}, C{-X "LIST -la"}, C{-X
   "NLST -R"}, C{;type=d}), an upload under a temporary name renamed
   and stamped after the transfer (C{-Q "-RNFR"}, C{"-RNTO"},
   C{"-MFMT"}) with C{--ftp-method multicwd} and C{singlecwd}, and
   several URLs in one command, passive and active (C{-P -});
 - ncftpput's uploads under a temporary suffix (C{-S .tmp}: C{STOR} of
   C{name.tmp}, C{RNFR}, C{RNTO}, then C{MFMT}) and appends (C{-A}),
   through C{--workers 2};
 - ftputil over explicit FTPS (C{PROT P}) in passive mode, and over
   implicit FTPS on C{::1} in active mode (C{EPRT}) through C{--workers
   2}.
"""

import ftplib
import os
import shutil
import subprocess

from twisted.trial import unittest

from tests.integration.test_client_matrix26 import ServerMixin
from tests.integration.test_client_threshold import readFile
from tests.tlssupport import ImplicitFTPTLS, clientContext

try:
    import ftputil
except ImportError:  # pragma: no cover (ftputil is in the dev extra)
    ftputil = None

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")
NCFTPPUT = shutil.which("ncftpput")

EDGE = {
    "empty.bin": 0,
    "one.bin": 1,
    "k64.bin": 64 << 10,
    "k64 plus one.bin": (64 << 10) + 1,
    "caf\u00e9 \u20ac.txt": 11,
    "-dash.txt": 12,
    "#hash.txt": 13,
    "100%.txt": 14,
    "sub dir/deep/x.bin": 70000,
    "sub dir/empty.bin": 0,
}
"""The edge tree's files, by path, and their sizes."""

EDGE_DIRECTORIES = ("emptydir", "sub dir/empty sub")
"""The edge tree's empty directories."""

BASE_TIME = 1600000000
"""The edge files' times start here (2020-09-13 12:26:40 UTC), one day
and one second apart, so that a time off by a day or a minute shows."""


def writeEdge(top):
    """
    Write the edge tree (L{EDGE}, L{EDGE_DIRECTORIES}) under C{top},
    each file with a time of its own.
    """
    for index, (name, size) in enumerate(sorted(EDGE.items())):
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        when = BASE_TIME + index * 86401
        os.utime(path, (when, when))
    for name in EDGE_DIRECTORIES:
        os.makedirs(os.path.join(top, name))


def treeState(top, times=True):
    """
    @param times: whether each file's time is part of its state.
    @return: a dict from each path below C{top} to its file's bytes and
        whole-second time (or C{None}), C{"dir"} for a directory.
    """
    state = {}
    for directory, subdirectories, names in os.walk(top):
        for name in subdirectories:
            state[os.path.relpath(os.path.join(directory, name), top)] = "dir"
        for name in names:
            path = os.path.join(directory, name)
            state[os.path.relpath(path, top)] = (
                readFile(path), int(os.stat(path).st_mtime) if times else None)
    return state


class LftpTimesTests(ServerMixin, unittest.TestCase):
    """
    lftp's mirrors up and back with each way it sets a time, through
    C{--workers 2}.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    def test_timeForms(self):
        """
        Each upload gets its source's time, whatever lftp sends for it,
        and each download the server's.
        """
        tree = os.path.join(self.local, "tree")
        writeEdge(tree)
        expected = treeState(tree)
        self.serve("--workers", "2")
        forms = {"mfmt": "",
                 "utime": "set ftp:use-feat no; ",
                 "utime3": "set ftp:use-feat no; "
                           "set ftp:use-site-utime2 no; "}
        for name, settings in forms.items():
            back = os.path.join(self.local, name)
            self.lftp("set mirror:set-permissions no; " + settings
                      + "mirror -R '%s' /%s; mirror /%s '%s'"
                      % (tree, name, name, back))
            self.assertEqual(treeState(os.path.join(self.root, name)),
                             expected, name)
            self.assertEqual(treeState(back), expected, name)


class LftpSettingsTests(ServerMixin, unittest.TestCase):
    """
    lftp with settings the other tests leave at their defaults.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    def roundTrip(self, settings, name, implicit=False):
        """
        Mirror the edge tree up to C{/NAME} and back with C{settings},
        resume a cut upload (C{put -c}), and list the tree.
        """
        tree = os.path.join(self.local, "tree")
        if not os.path.isdir(tree):
            writeEdge(tree)
        back = os.path.join(self.local, name)
        source = os.path.join(tree, "k64 plus one.bin")
        with open(source, "rb") as f:
            data = f.read()
        with open(os.path.join(self.root, name + ".bin"), "wb") as f:
            f.write(data[:1000])
        listed = self.lftp(
            "set mirror:set-permissions no; " + settings
            + "mirror -R '%s' /%s; mirror /%s '%s'; put -c '%s' -o /%s.bin; "
            "cls -1 /%s/"
            % (tree, name, name, back, source, name, name), implicit=implicit)
        self.assertEqual(treeState(back, times=False),
                         treeState(tree, times=False))
        self.assertEqual(self.served(name + ".bin"), data)
        self.assertEqual(
            sorted(listed.stdout.decode("utf-8").split("\n")[:-1]),
            sorted("/" + name + "/" + entry + ("/" if "." not in entry else "")
                   for entry in os.listdir(tree)))

    def test_settings(self):
        """
        Over implicit FTPS on C{::1} (in clear on C{127.0.0.1} without
        IPv6) with C{ALLO}, C{PRET}, C{REST} before listings, C{SITE
        IDLE}, no Telnet C{IAC} before C{ABOR}, strictly parsed multi-line
        replies and C{EPSV} first, through C{--workers 2}. (Not
        C{ftp:ssl-use-ccc}: lftp 4.9 takes the server's close_notify read
        with the C{200} as the connection closed, about one time in
        two; see "Known client bugs" in docs/protocol.rst.)
        """
        self.serve("--workers", "2")
        self.roundTrip("set ftp:use-allo yes; set ftp:use-pret yes; "
                       "set ftp:rest-list yes; set ftp:use-site-idle yes; "
                       "set ftp:use-telnet-iac no; "
                       "set ftp:strict-multiline on; "
                       "set ftp:prefer-epsv yes; ", "settings",
                       implicit=self.implicitPort is not None)


class CurlTests(ServerMixin, unittest.TestCase):
    """
    curl's own listing commands, quoted commands after an upload, and
    several URLs in one command, in one process.
    """

    if CURL is None:
        skip = "curl is not installed"

    def setUp(self):
        ServerMixin.setUp(self)
        writeEdge(os.path.join(self.root, "tree"))
        self.serve()

    def test_listings(self):
        """
        C{-X} replaces curl's C{LIST} with any listing command; C{;type=d}
        asks for C{NLST} (of the directory, after C{CWD}: curl drops a
        last segment not ending with C{/}).
        """
        names = sorted(os.listdir(os.path.join(self.root, "tree")))
        machine = self.curl("-X", "MLSD", "{url}tree/").stdout.decode()
        self.assertEqual(sorted(line.split("; ", 1)[1] for line in
                                machine.splitlines()
                                if "type=cdir" not in line
                                and "type=pdir" not in line), names)
        long = self.curl("-X", "LIST -la", "{url}tree/").stdout.decode()
        self.assertEqual(sorted(line.split(None, 8)[8]
                                for line in long.splitlines()), names)
        recursive = self.curl("-X", "NLST -R", "{url}tree/").stdout.decode()
        self.assertIn("./sub dir/deep:\nx.bin\n", recursive)
        self.assertEqual(
            sorted(self.curl("{url}tree/;type=d").stdout.decode()
                   .splitlines()), names)

    def test_renamedAfterUpload(self):
        """
        An upload under a temporary name, renamed and stamped by quoted
        commands after the transfer (in the directory curl changed into),
        with each C{--ftp-method} that changes directory.
        """
        source = os.path.join(self.root, "tree", "k64 plus one.bin")
        for method in ("multicwd", "singlecwd"):
            self.curl("--ftp-method", method, "--ftp-create-dirs",
                      "-T", source, "{url}up/%s/f.tmp" % method,
                      "-Q", "-RNFR f.tmp", "-Q", "-RNTO f final.bin",
                      "-Q", "-MFMT 20200101000000 f final.bin")
            self.assertEqual(os.listdir(os.path.join(self.root, "up",
                                                     method)),
                             ["f final.bin"])
            self.assertEqual(self.served("up", method, "f final.bin"),
                             self.served("tree", "k64 plus one.bin"))
            self.assertEqual(os.stat(os.path.join(
                self.root, "up", method, "f final.bin")).st_mtime,
                1577836800)

    def test_severalURLs(self):
        """
        Several files in one command (one control connection), passive
        and active.
        """
        names = sorted(name for name in EDGE if "/" not in name)
        for mode in ([], ["-P", "-"]):
            command = list(mode)
            for index, name in enumerate(names):
                command += ["{url}tree/" + name.replace("%", "%25")
                            .replace("#", "%23").replace(" ", "%20"),
                            "-o", os.path.join(self.local, str(index))]
            self.curl(*command)
            for index, name in enumerate(names):
                self.assertEqual(readFile(os.path.join(self.local,
                                                       str(index))),
                                 self.served("tree", name), (mode, name))


class NcftpTests(ServerMixin, unittest.TestCase):
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


class FtputilTLSTests(ServerMixin, unittest.TestCase):
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
