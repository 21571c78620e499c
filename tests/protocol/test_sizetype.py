"""
C{SIZE} by C{TYPE}: in C{TYPE A} (a session's default) one refusal for
every argument, as ProFTPD and pyftpdlib answer, before the path is
looked at; in C{TYPE I} each its own answer.
"""

from twisted.trial import unittest

from tests.barerealm import bareFactory, loggedIn

REFUSED = b"550 SIZE not allowed in ASCII mode; use TYPE I"
"""The one reply of C{SIZE} in C{TYPE A}."""


def replies(*commands):
    """
    @param commands: command lines, without their ends, sent by alice
        logged in on a L{tests.barerealm.BareRealm} (C{/old.txt}, 9
        bytes, and the directory C{/d}).
    @return: the reply lines to them.
    """
    protocol, transport = loggedIn(bareFactory())
    protocol.dataReceived(b"".join(each + b"\r\n" for each in commands))
    return transport.value().split(b"\r\n")[:-1]


class SizeTypeTests(unittest.TestCase):
    """
    A file, a missing name and a directory, in either C{TYPE}.
    """

    def test_asciiRefusesEveryName(self):
        """
        A missing name and a directory get the refusal a file gets (they
        got C{550 No such file} and C{550 Not a regular file}): which
        names exist is not told apart in C{TYPE A}.
        """
        self.assertEqual(
            replies(b"SIZE old.txt", b"SIZE nothing", b"SIZE d", b"SIZE d/",
                    b"SIZE old.txt/"),
            [REFUSED] * 5)

    def test_binaryAnswersEach(self):
        """
        In C{TYPE I} a file gets its size, a missing name and a directory
        their own C{550}.
        """
        [_, size, missing, directory] = replies(
            b"TYPE I", b"SIZE old.txt", b"SIZE nothing", b"SIZE d")
        self.assertEqual(size, b"213 9")
        self.assertTrue(missing.startswith(b"550 "), missing)
        self.assertNotEqual(missing, REFUSED)
        self.assertEqual(directory, b"550 Not a regular file")
