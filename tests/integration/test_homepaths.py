"""
C{~} as real clients send it, against C{python -m ftpkit} in a child
process: curl's URLs C{ftp://host/~/dir/file} (curl sends C{CWD ~}, then
C{CWD dir}) and the C{CWD ~} users type in ftplib scripts and command
line clients. C{~} and C{~/...} name the user's home, their C{/}, as in
vsftpd, ProFTPD and Pure-FTPd; before session 39 each got C{550 No such
file or directory} (a file named C{~} in the current directory), and
curl gave up with its exit code 9.
"""

import ftplib
import os

from twisted.trial import unittest

from tests.clientmatrix import CURL, ClientServerMixin


class HomePathTests(ClientServerMixin, unittest.TestCase):
    """
    C{~} in curl's URLs and ftplib's commands, in one process.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        os.makedirs(os.path.join(self.root, "sub"))
        with open(os.path.join(self.root, "sub", "f.txt"), "wb") as f:
            f.write(b"home\n")
        self.serve()

    def test_curl(self):
        """
        curl downloads C{~/sub/f.txt}, lists C{~/sub/} and uploads into
        it.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        self.assertEqual(self.curl("{url}~/sub/f.txt").stdout, b"home\n")
        listing = self.curl("-l", "{url}~/sub/").stdout
        self.assertEqual(listing.split(), [b"f.txt"])
        upload = os.path.join(self.local, "up.txt")
        with open(upload, "wb") as f:
            f.write(b"up\n")
        self.curl("-T", upload, "{url}~/sub/")
        self.assertEqual(self.served("sub", "up.txt"), b"up\n")

    def test_ftplib(self):
        """
        C{CWD ~} goes home from anywhere, C{CWD ~/sub} into C{/sub};
        C{SIZE} and C{RETR} take C{~/...}; C{~x} and C{./~} still name
        files called so.
        """
        ftp = self.ftplib()
        ftp.voidcmd("TYPE I")
        ftp.cwd("sub")
        ftp.cwd("~")
        self.assertEqual(ftp.pwd(), "/")
        ftp.cwd("~/sub")
        self.assertEqual(ftp.pwd(), "/sub")
        self.assertEqual(ftp.size("~/sub/f.txt"), 5)
        chunks = []
        ftp.retrbinary("RETR ~/sub/f.txt", chunks.append)
        self.assertEqual(b"".join(chunks), b"home\n")
        ftp.mkd("~x")
        ftp.mkd("./~")
        self.assertEqual(sorted(ftp.nlst()), ["f.txt", "~", "~x"])
        error = self.assertRaises(ftplib.error_perm, ftp.mkd, "~")
        self.assertEqual(str(error)[:3], "550")
        ftp.quit()
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "sub"))),
                         ["f.txt", "~", "~x"])
