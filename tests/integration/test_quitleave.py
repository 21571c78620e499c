"""
A client that sends an upload whole, closes its data connection, sends
C{QUIT} and closes its control connection at once, against a real
server (C{python -m ftpkit}) whose C{--max-upload-rate} keeps it from
having read the end of the data when the client leaves: the end is
still queued behind the bytes it has not read. The upload was aborted
(C{426}, nothing under the name, a hidden partial file); RFC 959 lets a
transfer finish after C{QUIT}, and it does now, as for a client that
stays to read the replies
(L{ftpkit.control.connectionlife}). So does a download paced by
C{--max-download-rate}, its client reading it after it left.
"""

import os

from twisted.trial import unittest

from tests.serverprocess import startServer

RATE = 1 << 19
"""The server's C{--max-upload-rate} or C{--max-download-rate}, bytes a
second."""

PAYLOAD = b"x" * (2 * RATE)
"""What the client uploads or downloads: two seconds at L{RATE}, far more
than a burst of it (a tenth of a second)."""


def leave(ftp, quitting=True):
    """
    Close an ftplib client's control connection at once, without reading
    a reply.

    @param ftp: the client.
    @param quitting: send C{QUIT} first.
    """
    if quitting:
        ftp.sock.sendall(b"QUIT\r\n")
    ftp.file.close()
    ftp.sock.close()


class QuitThenLeaveTests(unittest.TestCase):
    """
    C{STOR}, the whole file and the data connection's end, C{QUIT}, and
    the control connection closed, without waiting for a reply.
    """

    timeout = 60

    def upload(self, server, quitting):
        """
        Upload L{PAYLOAD} to C{leave.bin} as alice, then leave at once.

        @param server: the L{tests.serverprocess.ServerProcess}.
        @param quitting: send C{QUIT} before closing the control
            connection.
        """
        ftp = server.login("alice", "secret")
        ftp.voidcmd("TYPE I")
        data = ftp.transfercmd("STOR leave.bin")
        data.sendall(PAYLOAD)
        data.close()
        leave(ftp, quitting)

    def test_quitStored(self):
        """
        After C{QUIT}, the upload is read to its end and stored whole,
        its transfer logged with C{226}.
        """
        server, root = startServer(self, "--max-upload-rate", str(RATE))
        self.upload(server, True)
        log = server.waitForLog("logout from")
        self.assertIn("path '/leave.bin': 226, %d bytes" % len(PAYLOAD), log)
        with open(os.path.join(root, "leave.bin"), "rb") as f:
            self.assertEqual(f.read(), PAYLOAD)

    def test_leftCut(self):
        """
        Without C{QUIT}, a client gone before the end of its data came is
        ambiguous: the upload is aborted (C{426}), as before, nothing
        stored under its name.
        """
        server, root = startServer(self, "--max-upload-rate", str(RATE))
        self.upload(server, False)
        log = server.waitForLog("logout from")
        self.assertIn("path '/leave.bin': 426, ", log)
        self.assertFalse(os.path.exists(os.path.join(root, "leave.bin")))

    def test_quitSent(self):
        """
        A download paced by C{--max-download-rate} whose client sent
        C{QUIT} and closed its control connection before reading any of
        it goes on: the client reads it whole, and it is logged with
        C{226} (it was cut, C{426}, at what the pacing had let go).
        """
        server, root = startServer(self, "--max-download-rate", str(RATE))
        with open(os.path.join(root, "sent.bin"), "wb") as f:
            f.write(PAYLOAD)
        ftp = server.login("alice", "secret")
        ftp.voidcmd("TYPE I")
        with ftp.transfercmd("RETR sent.bin") as data:
            leave(ftp)
            received = b"".join(iter(lambda: data.recv(65536), b""))
        self.assertEqual(len(received), len(PAYLOAD))
        log = server.waitForLog("logout from")
        self.assertIn("path '/sent.bin': 226, %d bytes" % len(PAYLOAD), log)

    def test_quitThenAbort(self):
        """
        An C{ABOR} after C{QUIT} is not run: the upload the C{QUIT} lets
        finish is stored whole (C{226}), then C{221}. The C{ABOR} cut it
        (C{426}, then C{221}, no reply of its own).
        """
        server, root = startServer(self, "--max-upload-rate", str(RATE))
        ftp = server.login("alice", "secret")
        ftp.voidcmd("TYPE I")
        data = ftp.transfercmd("STOR late.bin")
        data.sendall(PAYLOAD)
        data.close()
        ftp.sock.sendall(b"QUIT\r\nABOR\r\n")
        self.assertEqual([ftp.getline()[:3] for _ in range(2)],
                         ["226", "221"])
        with open(os.path.join(root, "late.bin"), "rb") as f:
            self.assertEqual(f.read(), PAYLOAD)
