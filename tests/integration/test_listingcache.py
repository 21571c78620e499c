"""
The listings' cache (L{ftpkit.shells.listingcache}) against no cache: the
same tree served by servers with and without it, changed at random on
the disk and through FTP, and every listing compared.

Two pairs of servers share the tree: one pair with C{--hide-dotfiles}.
Each server has two sessions of users whose views differ (a users file
with per-directory rules: C{MLSD}'s C{perm} facts differ), which share
its cache. The changes: files made, written, appended to, cut, removed,
renamed within, into and out of a directory, their modes and times
changed (times put just inside C{LIST}'s boundaries, crossed as the test
runs), a subdirectory's entries changed, a file changed through a hard
link in another directory, links retargeted; the listings: C{LIST},
C{LIST -a}, C{NLST} and C{MLSD} with facts chosen at random, and
C{LIST -t} and C{LIST -ltr} every other step, C{LIST} of a pattern
(C{*}, C{f*}) and C{NLST -t} at the others.
"""

import ftplib
import os
import random
import time

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from ftpkit.protocol.listingdates import FUTURE, RECENT
from tests.polling import waitUntil
from tests.serverprocess import ServerProcess

SEED = 20261202
"""The seed of the changes; the failure message gives the step."""

STEPS = 240
"""The changes made, each followed by listings."""

USERS = """
[users.alice]
password = "{hash}"
home = "{root}"
permissions = ["list", "read", "write", "append", "delete", "rename",
               "mkdir", "set-time", "chmod"]

[users.bob]
password = "{hash}"
home = "{root}"
permissions = ["list", "read"]

[users.bob.directories."/d2"]
permissions = ["list", "read", "write", "delete"]

[users.bob.directories."/d2/sub"]
permissions = ["list"]
"""

DIRECTORIES = ("d1", "d2", "big", "d2/sub")
"""The directories listed (the first three large enough to be cached)."""

FACTS = ("type;size;modify;perm;unique;UNIX.mode;", "type;size;",
         "modify;perm;", "type;perm;UNIX.mode;")


def _listing(client, command):
    """
    @return: the bytes of a listing, or the error reply.
    """
    chunks = []
    try:
        client.retrbinary(command, chunks.append)
    except Exception as e:
        return f"error: {e}".encode()
    return b"".join(chunks)


class DifferentialTests(unittest.TestCase):
    """
    Listings with the cache read as listings without it.
    """

    timeout = 600

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        self.outside = os.path.abspath(self.mktemp())
        os.makedirs(self.outside)
        os.makedirs(os.path.join(self.root, "d2", "sub"))
        os.makedirs(os.path.join(self.root, "d1"))
        os.makedirs(os.path.join(self.root, "big"))
        os.makedirs(os.path.join(self.root, "never"))
        for directory, count in (("d1", 40), ("d2", 40), ("big", 1100)):
            for number in range(count):
                self.write(f"{directory}/f{number:04d}", b"x" * number)
        for name in (".hidden", ".dotdir"):
            self.write(f"d1/{name}", b"secret")
        self.write("d2/sub/inner", b"inner")
        os.symlink("../d2/f0001", os.path.join(self.root, "d1", "link"))
        os.symlink("../d2/sub", os.path.join(self.root, "d1", "dirlink"))
        os.symlink(".hidden", os.path.join(self.root, "d1", "tohidden"))
        users = os.path.abspath(self.mktemp())
        with open(users, "w") as f:
            f.write(USERS.format(hash=hashPassword("pw", n=1024),
                                 root=self.root))
        base = ["--root", self.root, "--realm", f"users:{users}",
                "--auth", f"users:{users}"]
        self.pairs = []
        for extra in ([], ["--hide-dotfiles"]):
            servers = [ServerProcess(self, base + extra),
                       ServerProcess(self, base + extra
                                     + ["--no-listing-cache"])]
            for server in servers:
                server.waitForGreeting()
            self.pairs.append(servers)

    def write(self, relative, data, mode="wb"):
        with open(os.path.join(self.root, relative), mode) as f:
            f.write(data)

    def test_differential(self):
        """
        A few hundred random changes, each followed by listings of every
        session of every server, the cached ones compared with those of
        the server without the cache.
        """
        return threads.deferToThread(self.randomSteps)

    def randomSteps(self):
        rng = random.Random(SEED)
        self.sessions = [
            [[server.login(user, "pw") for user in ("alice", "bob")]
             for server in pair] for pair in self.pairs]
        self.facts = FACTS[0]
        self.history = []
        for directory in DIRECTORIES:
            self.compare(f"LIST {directory}")
        for step in range(STEPS):
            try:
                change = self.change(rng)
            except ftplib.error_perm as e:
                change = f"refused: {e}"
            self.history.append(f"{step}: {change}")
            for _ in range(2):
                self.compare(self.pickListing(rng))
            directory = DIRECTORIES[step // 2 % len(DIRECTORIES)]
            if step % 2:
                # Sorted by time (its records cached apart), drawing
                # nothing from rng, so that the steps stay those above.
                self.compare(f"LIST -{'t' if step % 4 == 1 else 'ltr'} "
                             f"{directory}")
            else:
                # A pattern's matches (the directory's listing filtered),
                # and names sorted by time, likewise.
                self.compare(f"LIST {directory}/{'*' if step % 4 else 'f*'}")
                self.compare(f"NLST -t {directory}")

    def pickListing(self, rng):
        """
        @return: a listing command (maybe after choosing new C{MLSD}
            facts for every session).
        """
        directory = rng.choice(DIRECTORIES)
        verb = rng.choice(["LIST", "LIST -a", "NLST", "MLSD", "MLSD"])
        if verb == "MLSD" and rng.random() < 0.3:
            self.facts = rng.choice(FACTS)
            for pair in self.sessions:
                for sessions in pair:
                    for client in sessions:
                        client.sendcmd("OPTS MLST " + self.facts)
        return f"{verb} {directory}"

    def compare(self, command):
        """
        Every session's listing with the cache is the one without it;
        one that differs is read again once (a date on its boundary may
        switch between the two servers' reads), and must then agree.
        """
        for pair in self.sessions:
            cached, plain = pair
            for user, (withCache, without) in enumerate(zip(cached, plain)):
                got = _listing(withCache, command)
                expected = _listing(without, command)
                if got != expected:
                    # A date crossed its boundary between the two reads:
                    # both of the next are past it.
                    got = _listing(withCache, command)
                    expected = _listing(without, command)
                self.assertEqual(
                    got, expected,
                    f"{command} (user {user}, facts {self.facts}) after: "
                    + "; ".join(self.history[-6:]))

    def change(self, rng):
        """
        Make one random change, on the disk or through FTP.

        @return: what it was, for the failure message.
        """
        directory = rng.choice(["d1", "d2", "big", "d1", "d2", "d2/sub"])
        names = sorted(os.listdir(os.path.join(self.root, directory)))
        files = [name for name in names if os.path.isfile(
            os.path.join(self.root, directory, name))
            and not os.path.islink(os.path.join(self.root, directory, name))]
        name = rng.choice(files) if files else "f0000"
        path = f"{directory}/{name}"
        full = os.path.join(self.root, path)
        kind = rng.randrange(17)
        now = time.time()
        ftp = rng.choice([pair[rng.randrange(2)][0] for pair in self.sessions])
        if kind == 0:
            new = f"{directory}/{rng.choice(['n', '.n'])}{rng.randrange(99)}"
            self.write(new, b"new" * rng.randrange(50))
            return f"disk create {new}"
        if kind == 1 and files:
            self.write(path, b"more" * rng.randrange(1, 9), "ab")
            return f"disk append {path}"
        if kind == 2 and files:
            os.truncate(full, rng.randrange(3))
            return f"disk truncate {path}"
        if kind == 3 and len(files) > 30:
            os.unlink(full)
            return f"disk delete {path}"
        if kind == 4 and files:
            os.chmod(full, rng.choice([0o600, 0o644, 0o755, 0o444]))
            return f"disk chmod {path}"
        if kind == 5 and files:
            when = rng.choice([
                now - RECENT + rng.uniform(0.2, 1.0),
                now + FUTURE + rng.uniform(0.2, 1.0),
                now - RECENT - 5, now + FUTURE + 5, now - 86400,
                now - 400 * 86400, now])
            os.utime(full, (when, when))
            self.history.append(f"disk utime {path} {when - now:+.1f}")
            # Listed (and cached) now, and again once the date's form
            # switched: the cached lines must not be used then.
            self.compare(f"LIST {directory}")
            self.compare(f"LIST -t {directory}")
            # Until the clock is past the switch of the date's form, if
            # it comes within a second.
            switches = [at for at in (when + RECENT, when - FUTURE)
                        if now < at < now + 2]
            waitUntil(lambda: time.time() > max(switches, default=0))
            self.compare(f"LIST {directory}")
            self.compare(f"LIST -t {directory}")
            return "listed across the boundary"
        if kind == 6 and files:
            target = rng.choice(["d1", "d2", "big"])
            new = f"{target}/r{rng.randrange(99)}"
            os.rename(full, os.path.join(self.root, new))
            return f"disk rename {path} {new}"
        if kind == 7 and files and len(files) > 30:
            os.rename(full, os.path.join(self.outside, name))
            return f"disk move out {path}"
        if kind == 8:
            outside = os.listdir(self.outside)
            if outside:
                os.rename(os.path.join(self.outside, outside[0]),
                          os.path.join(self.root, directory, outside[0]))
                return f"disk move in {directory}/{outside[0]}"
            return "nothing"
        if kind == 9:
            inner = f"d2/sub/s{rng.randrange(5)}"
            if os.path.exists(os.path.join(self.root, inner)):
                os.unlink(os.path.join(self.root, inner))
                return f"disk subdirectory delete {inner}"
            self.write(inner, b"s")
            return f"disk subdirectory create {inner}"
        if kind == 10 and files:
            other = "d1" if directory != "d1" else "d2"
            link = f"{other}/h{rng.randrange(9)}"
            linkPath = os.path.join(self.root, link)
            if os.path.lexists(linkPath):
                with open(linkPath, "ab") as f:
                    f.write(b"through the link")
                return f"disk write through hard link {link}"
            os.link(full, linkPath)
            return f"disk hard link {path} {link}"
        if kind == 11:
            target = rng.choice(["../d2/f0001", "../d2/f0002", "../big",
                                 "../d2/sub", "missing", "/etc/hostname"])
            link = os.path.join(self.root, "d1", "link")
            os.unlink(link)
            os.symlink(target, link)
            return f"disk retarget d1/link -> {target}"
        if kind == 12:
            new = f"{directory}/u{rng.randrange(30)}"
            ftp.storbinary(f"STOR {new}", _Source(b"up" * rng.randrange(40)))
            return f"ftp STOR {new}"
        if kind == 13 and files:
            ftp.storbinary(f"APPE {path}", _Source(b"appended"))
            return f"ftp APPE {path}"
        if kind == 14 and len(files) > 30:
            ftp.sendcmd(f"DELE {path}")
            return f"ftp DELE {path}"
        if kind == 15 and files:
            ftp.sendcmd(f"RNFR {path}")
            new = f"{rng.choice(['d1', 'd2'])}/m{rng.randrange(40)}"
            ftp.sendcmd(f"RNTO {new}")
            return f"ftp rename {path} {new}"
        if kind == 16 and files:
            ftp.sendcmd(f"SITE CHMOD {rng.choice(['600', '644'])} {path}")
            stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(
                now - rng.choice([60, 86400 * 200])))
            ftp.sendcmd(f"MFMT {stamp} {path}")
            return f"ftp chmod/MFMT {path}"
        return "nothing"


class _Source:
    """A file-like source of an upload's bytes."""

    def __init__(self, data):
        self._data = data

    def read(self, size=-1):
        data, self._data = self._data, b""
        return data


class WorkersTests(unittest.TestCase):
    """
    Under C{--workers 2}, each worker has its own cache, and every one
    sees the changes.
    """

    timeout = 120

    def test_workers(self):
        """
        Sessions spread over two workers list what a server without the
        cache lists, after each change made on the disk.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "d"))
        for number in range(20):
            with open(os.path.join(root, "d", f"f{number}"), "wb") as f:
                f.write(b"x" * number)
        base = ["--root", root, "--auth", "anonymous"]
        cached = ServerProcess(self, base + ["--workers", "2"])
        plain = ServerProcess(self, base + ["--no-listing-cache"])
        for server in (cached, plain):
            server.waitForGreeting()
        return threads.deferToThread(self.listEverywhere, root, cached, plain)

    def listEverywhere(self, root, cached, plain):
        sessions = [cached.login("anonymous", "a@") for _ in range(6)]
        reference = plain.login("anonymous", "a@")
        changes = [
            lambda path: os.chmod(path, 0o600),
            lambda path: os.utime(path, (1, 1)),
            lambda path: open(path, "ab").write(b"more"),
            lambda path: os.unlink(path),
        ]
        for step, change in enumerate(changes):
            for command in ("LIST d", "MLSD d", "LIST -t d"):
                expected = _listing(reference, command)
                for client in sessions:
                    self.assertEqual(_listing(client, command), expected,
                                     f"{command} before change {step}")
            change(os.path.join(root, "d", f"f{step}"))
        for client in sessions:
            self.assertEqual(_listing(client, "LIST d"),
                             _listing(reference, "LIST d"))
