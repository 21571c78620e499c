"""
A client that starts its data connection's TLS handshake before its
transfer command (Node's basic-ftp, aioftp) gets the C{150} only once the
server accepted the handshake. Sent while the handshake was under way, it
reached basic-ftp as its handshake completed, and Node then ended an empty
upload in that same turn without its close_notify: the upload got C{426}
(tests/integration/test_node_basicftp.py drives basic-ftp itself).
"""

import os
import select
import socket
import ssl

from twisted.internet import threads
from twisted.trial import unittest

from tests.tlssupport import FTPSTestsMixin, clientContext


def _handshakeStep(tls, incoming, sock):
    """
    Feed the server's next bytes to a client TLS object.

    @return: whether the handshake is complete.
    """
    incoming.write(sock.recv(65536))
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return False
    return True


class HandshakeFirstTests(FTPSTestsMixin, unittest.TestCase):
    """
    The C{150} of a transfer whose client's handshake is under way waits
    for the handshake.
    """

    def emptyUpload(self):
        """
        Log in under C{PROT P}, connect the data connection, send the
        ClientHello and wait for the server's answer, then send C{STOR};
        see whether the C{150} comes
        before the client sends the rest of its handshake; then finish it
        and end the upload, empty, with a close_notify.

        @return: C{(early, preliminary, final)}: whether a reply came
            before the handshake went on, then the two replies.
        """
        ftp = self.connect()
        ftp.prot_p()
        host, port = ftp.makepasv()
        data = socket.create_connection((host, port), 10)
        self.addCleanup(data.close)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = clientContext(ssl.TLSVersion.TLSv1_2).wrap_bio(
            incoming, outgoing)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        data.sendall(outgoing.read())
        while not outgoing.pending:
            _handshakeStep(tls, incoming, data)
        # The server has read the ClientHello and answered it.
        ftp.putcmd("STOR early.bin")
        early = bool(select.select([ftp.sock], [], [], 0.5)[0])
        data.sendall(outgoing.read())
        while not _handshakeStep(tls, incoming, data):
            data.sendall(outgoing.read())
        preliminary = ftp.getresp()
        try:
            tls.unwrap()
        except ssl.SSLWantReadError:
            pass
        data.sendall(outgoing.read())
        data.shutdown(socket.SHUT_WR)
        return early, preliminary, ftp.voidresp()

    async def test_emptyUpload(self):
        """
        No reply while the handshake waits for the client; then C{150},
        and the empty upload ends with C{226}.
        """
        self.serve()
        early, preliminary, final = await threads.deferToThread(
            self.emptyUpload)
        self.assertFalse(early, "a reply came before the handshake ended")
        self.assertTrue(preliminary.startswith("150"), preliminary)
        self.assertTrue(final.startswith("226"), final)
        self.assertEqual(os.path.getsize(os.path.join(self.root,
                                                      "early.bin")), 0)
