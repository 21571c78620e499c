"""
A user with a byte quota made the server measure the whole home again
(a walk of every entry, seconds for a large home) at will: each upload
cut with bytes kept for a resume, and each C{RMD} of a directory whose
only entries were such cut uploads, marked the home's usage unknown, so
the next quota check walked it all again. A loop of C{STOR}, 70 KB and a
cut kept a core busy and slowed every other session. What they leave is
counted now, and the home is walked once.
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth import users as usersModule
from ftpkit.auth.users import UsersDatabase, UsersRealm
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.quotas import Footprint, diskFootprint
from tests.ftpclient import ftplibLogin
from tests.polling import waitUntil
from tests.resets import hardClose
from tests.uploadsinprogress import largestUpload

PART = 70000
"""The bytes each cut upload sends before it is cut."""

USERS = ('[users.bob]\nhome = "bob"\nquota = "1G"\npermissions = ["list",'
         ' "read", "write", "append", "delete", "rename", "mkdir"]\n')


def cutUpload(ftp, command, watched, size=PART, pids=(None,), reaches=None,
              inPlace=None):
    """
    Send C{size} bytes with C{command}, wait until the server wrote them
    all, then cut the data connection (blocking).

    @param watched: the served directory the upload goes to (for
        L{largestUpload}).
    @param pids: the server's processes writing uploads, C{None} for
        this one.
    @param reaches: the size the upload's file reaches with them
        [default: C{size}].
    @param inPlace: the path of a file written in place, whose size is
        watched instead.
    @return: the final reply's code.
    """
    reaches = size if reaches is None else reaches
    data = ftp.transfercmd(command)
    data.sendall(b"c" * size)
    if inPlace is None:
        arrived = waitUntil(lambda: reaches in (
            largestUpload(watched, pid) for pid in pids))
    else:
        arrived = waitUntil(lambda: os.path.getsize(inPlace) == reaches)
    assert arrived, command
    hardClose(data)
    try:
        return ftp.voidresp()[:3]
    except ftplib.Error as e:
        return str(e)[:3]


def store(ftp, command, size=1):
    """
    Upload C{size} bytes with C{command} (blocking): a quota check.

    @return: the final reply.
    """
    return ftp.storbinary(command, io.BytesIO(b"s" * size))


class _WalksMixin(LoopbackServerMixin):
    """
    C{bob} has a 1 GB quota (no file quota) in C{/bob}; every
    measurement of a home is counted.
    """

    timeout = 120
    users = USERS

    def setUp(self):
        root = os.path.abspath(self.mktemp())
        self.home = os.path.join(root, "bob")
        os.makedirs(os.path.join(self.home, "sub"))
        with open(os.path.join(self.home, "old"), "wb") as f:
            f.write(b"o" * 5000)
        path = os.path.join(root, "users.toml")
        with open(path, "w") as f:
            f.write(self.users)
        self.walks = []
        measure = usersModule.diskFootprint

        def counted(directory):
            self.walks.append(directory)
            return measure(directory)

        self.patch(usersModule, "diskFootprint", counted)
        self.realm = UsersRealm(UsersDatabase(path), root)
        self.server = self.startServer(
            self.realm, users={"bob": "pw", "admin": "pw"}, anonymous=False)

    def counted(self):
        """
        @return: what C{bob}'s usage counts, as a L{Footprint}.
        """
        usage = self.realm.usageOf(self.home)
        return Footprint(usage.used, usage.files)


class CutUploadWalksTests(_WalksMixin, unittest.TestCase):
    """
    C{bob}'s cut uploads.
    """

    @defer.inlineCallbacks
    def test_cutUploads(self):
        """
        Uploads cut after 70 KB (a new file, twice, the second replacing
        the first's cut upload; an append written in place; one replacing
        a file; an append to its cut upload; a resume of a cut upload) each
        followed by a quota check: the home is walked once, and what is counted is
        what a walk finds.
        """
        home = self.home

        def steps():
            ftp = ftplibLogin(self, self.server.port, "bob", "pw",
                              binary=True)
            store(ftp, "STOR first")
            codes, counts = [], []

            def cut(command, **kwargs):
                codes.append(cutUpload(ftp, command, home, **kwargs))
                store(ftp, "STOR check")
                counts.append((command, self.counted(), diskFootprint(home)))

            cut("STOR f")
            cut("STOR f")
            cut("APPE old", reaches=5000 + PART,
                inPlace=os.path.join(home, "old"))
            cut("STOR old")
            cut("APPE old", reaches=2 * PART)
            ftp.sendcmd(f"REST {PART}")
            cut("STOR f", reaches=2 * PART)
            ftp.quit()
            return codes, counts

        codes, counts = yield self.inThread(steps)
        self.assertEqual(codes, ["426"] * 6)
        self.assertEqual(self.walks, [home])
        for command, counted, walked in counts:
            self.assertEqual(counted, walked, command)

    @defer.inlineCallbacks
    def test_removeDirectoryOfCutUploads(self):
        """
        C{RMD} of a directory whose entries are cut uploads, then a quota
        check: no walk again, and the cut uploads' bytes and entries are
        no longer counted.
        """
        home = self.home

        def steps():
            ftp = ftplibLogin(self, self.server.port, "bob", "pw",
                              binary=True)
            store(ftp, "STOR first")
            codes = [cutUpload(ftp, "STOR sub/a", home),
                     cutUpload(ftp, "STOR sub/b", home, size=PART // 2)]
            ftp.rmd("sub")
            store(ftp, "STOR check")
            ftp.quit()
            return codes

        codes = yield self.inThread(steps)
        self.assertEqual(codes, ["426", "426"])
        self.assertFalse(os.path.exists(os.path.join(home, "sub")))
        self.assertEqual(self.walks, [home])
        self.assertEqual(self.counted(), diskFootprint(home))


NESTED = ('[users.admin]\nhome = "."\npermissions = ["list", "read",'
          ' "write", "append", "delete", "rename", "mkdir"]\n' + USERS)


class NestedChangeWalksTests(_WalksMixin, unittest.TestCase):
    """
    C{admin}'s home is the root, holding C{bob}'s: what C{admin} changes
    in C{/bob} is counted for C{bob}'s quota by what it added or took
    away, and C{bob}'s home is walked once.
    """

    users = NESTED

    @defer.inlineCallbacks
    def test_changesByAdmin(self):
        """
        C{admin} stores, cuts an upload, removes, renames a file in,
        makes and removes a directory in C{/bob} (an append may continue
        a cut upload, and is measured again); C{bob} checks his
        quota after each: no walk again, and his count is a walk's.
        """
        home = self.home

        def steps():
            admin = ftplibLogin(self, self.server.port, "admin", "pw",
                                binary=True)
            bob = ftplibLogin(self, self.server.port, "bob", "pw",
                              binary=True)
            store(bob, "STOR first")
            store(admin, "STOR /big", 3000)
            counts = []
            for step in (
                    lambda: store(admin, "STOR /bob/a", 20000),
                    lambda: store(admin, "STOR /bob/a", 7000),
                    lambda: cutUpload(admin, "STOR /bob/c", home),
                    lambda: admin.delete("/bob/old"),
                    lambda: admin.rename("/big", "/bob/big"),
                    lambda: admin.rename("/bob/big", "/bob/a"),
                    lambda: admin.mkd("/bob/d"),
                    lambda: admin.rmd("/bob/d"),
                    lambda: cutUpload(admin, "STOR /bob/sub/p", home),
                    lambda: admin.rmd("/bob/sub")):
                step()
                store(bob, "STOR check")
                counts.append((self.counted(), diskFootprint(home)))
            return counts

        counts = yield self.inThread(steps)
        self.assertEqual(self.walks, [home])
        for step, (counted, walked) in enumerate(counts):
            self.assertEqual(counted, walked, step)
