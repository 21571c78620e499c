"""
C{curl -B -C - -T} (resume an upload in C{TYPE A}) against C{python -m
ftpkit} in a child process: curl sends C{SIZE} and, given C{213 n},
C{APPE} with the first C{n} bytes of its local file skipped. ftpkit
answered the size a C{TYPE A} download sends (CRLF line ends), more than
the LF file's bytes it matches, and the file came out with the start of
the next line cut; C{SIZE} in C{TYPE A} now answers C{550}, on which
curl sends the whole file with C{STOR}.
"""

import os

from twisted.trial import unittest

from tests.clientmatrix import CURL, ClientServerMixin

PARTIAL_LF = b"line1\nline2\n"
"""What the server holds of an LF file before the resume."""

WHOLE_LF = b"line1\nline2\nline3\nline4\n"
"""The whole LF file, as the uploader holds it."""

PARTIAL_CRLF = b"line1\r\nline2\r\n"
"""What the server holds of a CRLF file before the resume."""

WHOLE_CRLF = b"line1\r\nline2\r\nline3\r\nline4\r\n"
"""The whole CRLF file, as the uploader holds it."""


class CurlASCIIUploadResumeTests(ClientServerMixin, unittest.TestCase):
    """
    C{curl -C - -T} onto a partial file, with C{-B} (C{TYPE A}) and
    without.
    """

    if CURL is None:
        skip = "curl is not installed"

    def setUp(self):
        ClientServerMixin.setUp(self)
        self.serve()

    def _resume(self, partial, whole, *options):
        """
        Put C{partial} on the server and C{whole} in the uploader's
        directory, resume the upload with curl, and check the server's
        file is the uploader's.

        @param partial: the bytes the server holds before.
        @param whole: the bytes of the uploader's file.
        @param options: more curl options.
        @return: curl's verbose output (standard error).
        """
        with open(os.path.join(self.root, "up.txt"), "wb") as f:
            f.write(partial)
        source = os.path.join(self.local, "up.txt")
        with open(source, "wb") as f:
            f.write(whole)
        done = self.curl("-v", *options, "-C", "-", "-T", source,
                         "{url}up.txt", ok=False)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(self.served("up.txt"), whole)
        return done.stderr

    def test_asciiLF(self):
        """
        A file with LF line ends: C{SIZE} gets C{550} and curl sends the
        whole file with C{STOR}, which the server stores as it was.
        """
        said = self._resume(PARTIAL_LF, WHOLE_LF, "-B")
        self.assertIn(b"< 550 SIZE not allowed in ASCII mode", said)
        self.assertIn(b"> STOR up.txt", said)
        self.assertNotIn(b"> APPE", said)

    def test_asciiCRLF(self):
        """
        A file with CRLF line ends, whose CR curl's C{TYPE A} upload
        sends as it is (its CRLF then ends up stored as CRLF).
        """
        said = self._resume(PARTIAL_CRLF, WHOLE_CRLF, "-B")
        self.assertIn(b"> STOR up.txt", said)

    def test_binary(self):
        """
        In C{TYPE I} the resume still appends what follows the server's
        C{SIZE}.
        """
        said = self._resume(PARTIAL_LF, WHOLE_LF)
        self.assertIn(b"< 213 %d" % len(PARTIAL_LF), said)
        self.assertIn(b"> APPE up.txt", said)
