"""
GNOME's FTP client, GVfs (what Nautilus and every GIO program reach
C{ftp://} and C{ftps://} through), driven by C{gio} in a D-Bus session of
its own against C{python -m ftpkit} in a child process: C{gio mount} with
the password (and over C{ftps://}, explicit FTPS, the self-signed
certificate accepted), C{mkdir -p}, C{copy} up and down of names with
blanks (one leading), UTF-8, a leading dash and C{#}, of an empty file and
of 64 KiB and one byte, C{list}, C{save} and C{save -a}, C{move} between
directories, C{rename} and C{remove}: in clear in one process, and over
explicit FTPS through C{--workers 2}. GVfs lists with C{LIST} and parses
it (Mozilla's C{ParseFTPList}), asks C{CWD} then C{SIZE} of each name it
is about to write, and sends C{SITE CHMOD} after an upload. It reads a
link's name from C{name -> target}: C{gio list} of links ftpkit does not
follow, leading nowhere inside the root or out of it, names them.
"""

import os
import shlex
import shutil
import subprocess
from urllib.parse import quote

from twisted.trial import unittest

from tests.clientmatrix import ClientServerMixin
from tests.clienttrees import readFile

GIO = shutil.which("gio")
DBUS_RUN_SESSION = shutil.which("dbus-run-session")
GVFSD_FTP = "/usr/libexec/gvfsd-ftp"

FILES = {
    "sp ace.txt": b"blank inside\n",
    " lead.txt": b"blank first\n",
    "caf\u00e9 \u20ac.txt": "\u00e9\u20ac\n".encode(),
    "-dash.txt": b"dash\n",
    "#hash.txt": b"hash\n",
    "empty.bin": b"",
    "k64.bin": os.urandom((64 << 10) + 1),
}
"""The files copied up and down again, by name."""


def missing():
    """
    @return: why GVfs cannot be driven here, or C{None}.
    """
    if GIO is None or DBUS_RUN_SESSION is None:
        return "gio or dbus-run-session is not installed"
    if not os.path.exists(GVFSD_FTP):
        return "GVfs's FTP backend (gvfs-backends) is not installed"
    return None


def script(base, local, back):
    """
    The C{gio} commands of one session, as a shell script that stops at
    the first that fails.

    @param base: the server's URI, C{ftp://alice@host:port} or
        C{ftps://...}.
    @param local: the directory holding L{FILES}.
    @param back: the directory the files are copied back into.
    @return: the script.
    """
    top = base + "/gv/a%20b"
    # Over ftps:// gio first asks whether to accept the certificate.
    answers = "1\\nsecret\\n" if base.startswith("ftps:") else "secret\\n"
    lines = ["set -e",
             'printf "%s" | gio mount %s/ >/dev/null'
             % (answers, shlex.quote(base)),
             "gio mkdir -p %s" % shlex.quote(top + "/deep")]
    for name in FILES:
        remote = shlex.quote(top + "/" + quote(name))
        lines.append("gio copy %s %s" % (
            shlex.quote(os.path.join(local, name)), remote))
        lines.append("gio copy %s %s" % (
            remote, shlex.quote(os.path.join(back, name))))
    lines += [
        "gio list -l %s/ > %s" % (
            shlex.quote(top), shlex.quote(os.path.join(back, "listing"))),
        "echo one | gio save %s/saved.txt" % shlex.quote(top),
        "echo two | gio save -a %s/saved.txt" % shlex.quote(top),
        "gio move %s/sp%%20ace.txt %s/gv/moved.txt" % (
            shlex.quote(top), shlex.quote(base)),
        "gio rename %s/gv/moved.txt renamed.txt >/dev/null"
        % shlex.quote(base),
        "gio remove %s/-dash.txt" % shlex.quote(top),
        "gio mount -u %s/" % shlex.quote(base),
    ]
    return "\n".join(lines) + "\n"


class GVfsTests(ClientServerMixin, unittest.TestCase):
    """
    GVfs through C{gio}, in clear and over explicit FTPS.
    """

    def setUp(self):
        reason = missing()
        if reason is not None:
            raise unittest.SkipTest(reason)
        ClientServerMixin.setUp(self)

    def session(self, scheme):
        """
        Copy L{FILES} up and back with C{gio}, then list, append, move,
        rename and remove; check what the server and the client hold.

        @param scheme: C{"ftp"} or C{"ftps"}.
        """
        local, back = (os.path.join(self.local, each)
                       for each in ("up", "back"))
        for directory in (local, back):
            os.makedirs(directory)
        for name, data in FILES.items():
            with open(os.path.join(local, name), "wb") as f:
                f.write(data)
        base = "%s://alice@127.0.0.1:%d" % (scheme, self.port)
        done = subprocess.run(
            [DBUS_RUN_SESSION, "--", "sh", "-c",
             script(base, local, back)],
            capture_output=True, timeout=180, stdin=subprocess.DEVNULL,
            env=dict(os.environ, GIO_USE_VOLUME_MONITOR="unix"))
        self.assertEqual(done.returncode, 0, (done.stdout, done.stderr))
        top = os.path.join(self.root, "gv", "a b")
        for name, data in FILES.items():
            self.assertEqual(readFile(os.path.join(back, name)), data, name)
            if name not in ("sp ace.txt", "-dash.txt"):
                self.assertEqual(readFile(os.path.join(top, name)), data,
                                 name)
        listed = readFile(os.path.join(back, "listing")).decode()
        self.assertEqual(
            sorted(line.split("\t")[0] for line in listed.splitlines()),
            sorted(["deep", *FILES]))
        self.assertEqual(readFile(os.path.join(top, "saved.txt")),
                         b"one\ntwo\n")
        self.assertEqual(readFile(os.path.join(self.root, "gv",
                                               "renamed.txt")),
                         FILES["sp ace.txt"])
        self.assertEqual(
            sorted(os.listdir(top)),
            sorted(["deep", "saved.txt", *(
                name for name in FILES
                if name not in ("sp ace.txt", "-dash.txt"))]))

    def test_clear(self):
        """
        In clear, in one process.
        """
        self.serve()
        self.session("ftp")

    def test_explicitWorkers(self):
        """
        Over explicit FTPS (C{ftps://}), through C{--workers 2}.
        """
        self.serve("--workers", "2")
        self.session("ftps")

    def test_unfollowedLinks(self):
        """
        C{gio list -l} names a link leading nowhere inside the root and
        one in a loop, with their targets, and one leading out of the
        root, listed leading to itself; without C{" -> target"} in their
        C{LIST} lines GVfs listed them as entries with no name, logging
        GLib criticals.
        """
        top = os.path.join(self.root, "links")
        os.makedirs(top)
        with open(os.path.join(top, "f.txt"), "wb") as f:
            f.write(b"f")
        os.symlink("../missing", os.path.join(top, "dangling"))
        os.symlink("loop", os.path.join(top, "loop"))
        os.symlink(self.local, os.path.join(top, "out"))
        self.serve()
        base = "ftp://alice@127.0.0.1:%d" % (self.port,)
        listing = os.path.join(self.local, "listing")
        commands = "\n".join([
            "set -e",
            'printf "secret\\n" | gio mount %s/ >/dev/null'
            % shlex.quote(base),
            "gio list -l -a standard::symlink-target %s/links/ > %s" % (
                shlex.quote(base), shlex.quote(listing)),
            "gio mount -u %s/" % shlex.quote(base)]) + "\n"
        done = subprocess.run(
            [DBUS_RUN_SESSION, "--", "sh", "-c", commands],
            capture_output=True, timeout=180, stdin=subprocess.DEVNULL,
            env=dict(os.environ, GIO_USE_VOLUME_MONITOR="unix"))
        self.assertEqual(done.returncode, 0, (done.stdout, done.stderr))
        self.assertNotIn(b"CRITICAL", done.stderr)
        lines = readFile(listing).decode().splitlines()
        self.assertEqual(sorted(line.split("\t")[0] for line in lines),
                         ["dangling", "f.txt", "loop", "out"])
        targets = {line.split("\t")[0]: line for line in lines}
        self.assertIn("symlink-target=../missing", targets["dangling"])
        self.assertIn("symlink-target=loop", targets["loop"])
        self.assertIn("symlink-target=out", targets["out"])
        self.assertNotIn(self.local, "\n".join(lines))
