"""
An upload paced by C{--max-upload-rate} over TLS, whose client has sent
everything, cut by the drain when the shutdown grace is over
(L{ftpkit.data.movers.pacing.PacedPipe.cancel}): its command waited for
ever for the pipe to drain, so the server gave up on it after its
abort wait and exited without its C{426} line, its logout line or the
partial file kept for a resume. And what waited in the pipe when the
upload was cut, received but not yet passed on, was dropped: the partial
upload fell short of the bytes its transfer line (and the transfer log)
counted, by up to a read's worth (289,187 of 8,847,360 bytes for a curl
upload at 4 MB/s); it now goes to the file before it is aborted
(L{ftpkit.data.movers.pacing.PacedPipe.flush}).
"""

import ftplib
import io
import os
import re
import signal
import threading

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import clientContext, makeCertificate


def writtenUnder(pid, directory):
    """
    @param pid: a process id.
    @param directory: a directory.
    @return: whether the process holds open a file below C{directory}
        (an upload's, unnamed until it is complete: C{O_TMPFILE}) that is
        not empty.
    """
    below = os.path.realpath(directory) + os.sep
    descriptors = f"/proc/{pid}/fd"
    try:
        names = os.listdir(descriptors)
    except OSError:
        return False
    for name in names:
        path = os.path.join(descriptors, name)
        try:
            if os.readlink(path).startswith(below) and os.stat(path).st_size:
                return True
        except OSError:
            continue
    return False


class PacedUploadDrainTests(unittest.TestCase):
    """
    C{SIGTERM} while a paced TLS upload waits in its pipe.
    """

    timeout = 120

    def test_cutAtGraceOver(self):
        directory = scratchDirectory(self)
        root = os.path.join(directory, "root")
        os.mkdir(root)
        _, _, both = makeCertificate(directory)
        server = ServerProcess(self, [
            "--root", root, "--auth", "memory:alice:secret",
            "--tls-cert", both, "--max-upload-rate", "100K",
            "--shutdown-grace", "1"])
        server.waitForGreeting()
        ftp = ftplibLogin(self, server.port, client=ftplib.FTP_TLS(
            context=clientContext()), protect=True)
        answers = []

        def upload():
            try:
                ftp.storbinary("STOR big.bin", io.BytesIO(b"x" * 1_000_000))
            except ftplib.Error as e:
                answers.append(str(e))

        sending = threading.Thread(target=upload)
        sending.start()
        # The client sends it all at once (the socket buffers take it),
        # then waits for the reply while the server paces it in: the
        # signal comes once the server has written some of it.
        server.waitFor(lambda: writtenUnder(server.process.pid, root),
                       "the paced upload's first bytes in its file")
        server.signal(signal.SIGTERM)
        sending.join(60)
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)
        log = server.log()
        self.assertIn("STOR from 127.0.0.1 user 'alice' path '/big.bin': 426",
                      log)
        self.assertEqual(log.count("logout from 127.0.0.1 user 'alice'"), 1,
                         log)
        self.assertIn(".ftpkit-partial.big.bin", os.listdir(root), log)
        self.assertNotIn("Traceback", log)
        [counted] = re.findall(r"path '/big.bin': 426, (\d+) bytes", log)
        self.assertEqual(
            os.path.getsize(os.path.join(root, ".ftpkit-partial.big.bin")),
            int(counted))
