"""
Edges real clients reach, against C{python -m ftpkit} in a child process
(session 41):

 - C{curl --ftp-pret}: C{PRET} before C{EPSV} or C{PASV}, for
   downloads, listings and uploads, in clear and under C{--ssl-reqd}
   (curl gave up with exit code 84 on its C{500});
 - the C{213} reply of C{MFMT} and C{MFF} to a time with a fraction,
   read by C{ftplib} (it gave the whole second only).
"""

import calendar
import os

from twisted.trial import unittest

from tests.clientmatrix import CURL, ClientServerMixin

FRACTION_TIME = calendar.timegm((2001, 2, 3, 4, 5, 6)) + 0.789
"""The time C{MFMT 20010203040506.789} sets."""


class CurlPretTests(ClientServerMixin, unittest.TestCase):
    """
    C{curl --ftp-pret}, which stops at a C{PRET} that fails.
    """

    if CURL is None:
        skip = "curl is not installed"

    def setUp(self):
        ClientServerMixin.setUp(self)
        os.makedirs(os.path.join(self.root, "d", "e"))
        with open(os.path.join(self.root, "d", "file.txt"), "wb") as f:
            f.write(b"pret\n")
        self.source = os.path.join(self.local, "up.txt")
        with open(self.source, "wb") as f:
            f.write(b"uploaded\n")
        self.serve()

    def _transfers(self, *options):
        """
        Download, list (C{LIST} and C{NLST}) and upload with
        C{--ftp-pret} and C{options}, and check what arrived.

        @param options: more curl options.
        """
        self.assertEqual(
            self.curl("--ftp-pret", *options, "{url}d/file.txt").stdout,
            b"pret\n")
        listed = self.curl("--ftp-pret", *options, "{url}d/").stdout
        self.assertIn(b"file.txt", listed)
        self.assertEqual(
            self.curl("--ftp-pret", "-l", *options, "{url}d/").stdout
            .split(), [b"e", b"file.txt"])
        self.curl("--ftp-pret", *options, "-T", self.source,
                  "{url}d/e/up.txt")
        self.assertEqual(self.served("d", "e", "up.txt"), b"uploaded\n")

    def test_clear(self):
        """
        In clear, with C{EPSV} and with C{PASV} (C{--disable-epsv}).
        """
        self._transfers()
        self._transfers("--disable-epsv")

    def test_ssl(self):
        """
        Under C{AUTH TLS} and C{PROT P} (C{--ssl-reqd}).
        """
        self._transfers("--ssl-reqd")

    def test_verbs(self):
        """
        C{PRET} answers C{200} for the verbs that open a data connection,
        C{504} for another, C{501} without one; it is not in C{FEAT}.
        """
        client = self.ftplib()
        self.assertTrue(client.sendcmd("PRET MLSD").startswith("200"))
        self.assertTrue(
            client.sendcmd("PRET stor a file").startswith("200"))
        for command, code in (("PRET NOOP", "504"), ("PRET  ", "501")):
            try:
                client.sendcmd(command)
            except Exception as e:
                self.assertTrue(str(e).startswith(code), str(e))
            else:
                self.fail(command + " was taken")
        self.assertNotIn(" PRET", client.sendcmd("FEAT"))


class SetTimeReplyTests(ClientServerMixin, unittest.TestCase):
    """
    The times C{MFMT} and C{MFF} say they set.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        self.file = os.path.join(self.root, "a file.txt")
        with open(self.file, "wb") as f:
            f.write(b"t")
        self.serve()

    def test_fraction(self):
        """
        A time with milliseconds is given back with them, as the file
        keeps it; a whole second without a fraction.
        """
        client = self.ftplib()
        self.assertEqual(
            client.sendcmd("MFMT 20010203040506.789 a file.txt"),
            "213 Modify=20010203040506.789; /a file.txt")
        self.assertAlmostEqual(os.stat(self.file).st_mtime, FRACTION_TIME,
                               places=3)
        self.assertEqual(
            client.sendcmd("MFF modify=20010203040507.5; a file.txt"),
            "213 modify=20010203040507.500; /a file.txt")
        self.assertEqual(
            client.sendcmd("MFMT 20010203040508 a file.txt"),
            "213 Modify=20010203040508; /a file.txt")
        self.assertEqual(client.sendcmd("MDTM a file.txt"),
                         "213 20010203040508")
