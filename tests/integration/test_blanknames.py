"""
Names of blanks, on a real server over the disk and ftplib
(C{docs/protocol.rst}, "Where ftpkit answers otherwise"): an argument
that is only blanks is no argument, as ProFTPD 1.3.8 reads it (vsftpd
3.0 and pyftpdlib 2.2 store a file called C{" "}, Pure-FTPd 1.0.50 one
called C{_}); the argument is everything after the one space that ends
the verb (RFC 959's C{<SP>}), so a name's own blanks, leading or
trailing, are kept (C{"STOR  a"} stores C{" a"}, as ProFTPD, vsftpd and
pyftpdlib store it).
"""

import ftplib
import io
import os

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.serverprocess import startServer


def _code(call):
    """
    @param call: an ftplib call.
    @return: the code of its (last) reply, an error's included.
    """
    try:
        return call()[:3]
    except ftplib.all_errors as e:
        return str(e)[:3]


class BlankNameTests(unittest.TestCase):
    """
    C{STOR}, C{MKD}, C{RNTO}, C{DELE}, C{RETR} and C{LIST} of blanks, and
    of names with blanks around them.
    """

    timeout = 120

    def test_blanks(self):
        """
        A name of one blank is refused (C{501}) by C{STOR}, C{MKD},
        C{RNTO}, C{DELE} and C{RETR}, and makes, removes or renames
        nothing; C{LIST} of it lists the current directory. Names with
        blanks at either end are stored, made, renamed, listed, read and
        removed under those names, blanks kept.
        """
        server, root = startServer(self)
        ftp = ftplibLogin(self, server.port, binary=True)
        stor = lambda name, data: lambda: ftp.storbinary(  # noqa: E731
            "STOR " + name, io.BytesIO(data))
        listed = []
        got = []
        codes = [_code(call) for call in (
            stor(" ", b"blank"),
            stor(" a", b"lead"),
            stor("b ", b"trail"),
            lambda: ftp.sendcmd("MKD  "),
            lambda: ftp.sendcmd("MKD  m"),
            lambda: ftp.sendcmd("RNFR b "),
            lambda: ftp.sendcmd("RNTO  "),
            lambda: ftp.sendcmd("RNFR b "),
            lambda: ftp.sendcmd("RNTO  c"),
            lambda: ftp.sendcmd("DELE  "),
            lambda: ftp.retrbinary("RETR  ", got.append),
            lambda: ftp.retrbinary("RETR  a", got.append),
            lambda: ftp.retrlines("LIST  ", listed.append),
            lambda: ftp.sendcmd("DELE  a"),
        )]
        names = ftp.nlst()
        ftp.quit()
        self.assertEqual(codes, [
            "501", "226", "226", "501", "257", "350", "501", "350", "250",
            "501", "501", "226", "226", "250"])
        self.assertEqual(got, [b"lead"])
        self.assertEqual(len(listed), 3, listed)
        self.assertEqual(sorted(names), [" c", " m"])
        self.assertEqual(sorted(os.listdir(root)), [" c", " m"])
        with open(os.path.join(root, " c"), "rb") as f:
            self.assertEqual(f.read(), b"trail")
