"""
Clients that act on the data connection before the server has the command
it belongs to, against a server in this process (see L{tests.personas}),
in clear and under C{PROT P} with C{--tls-require-session-reuse}:

 - a passive upload sent whole, and ended (a FIN; under TLS the client's
   close_notify first), before its C{STOR} is sent: FileZilla 3 connects
   and starts TLS before the command, and a client that does not wait
   for the C{150} may send everything then;
 - commands sent behind a C{RETR} before its C{226} is read (each reply
   comes in order, one per command), with the data connection made
   before the C{RETR}.
"""

import os
import time

from twisted.trial import unittest

from tests.personas import PersonaTestsMixin, connect
from tests.tlssupport import readToEnd

EARLY_WAIT = 0.05
"""Seconds between the end of an early upload and its C{STOR}: the server
has taken the end of the data by then, as a slower client's command
would find it (without the wait, the command usually comes first)."""


class EarlyDataTests(PersonaTestsMixin, unittest.TestCase):
    """
    The data connection used before the command reaches the server.
    """

    def earlyUploads(self, protect):
        """
        Upload C{early.bin} (some bytes) and C{empty.bin} (none), each
        sent and ended on its data connection before its C{STOR}.

        @param protect: under C{PROT P}, resuming the control
            connection's TLS session.
        @return: a Deferred firing with the final reply of each upload.
        """
        def client(wire):
            wire.login(protect=protect)
            wire.ok("TYPE I", 200)
            finals = []
            for name, content in (("early.bin", b"sent early\n"),
                                  ("empty.bin", b"")):
                data = connect(wire.passive("EPSV"))
                if protect:
                    data = wire.secure(data)
                data.sendall(content)
                if protect:
                    data = data.unwrap()
                data.close()
                time.sleep(EARLY_WAIT)
                wire.ok("STOR " + name, 150)
                finals.append(wire.reply())
            return finals

        return self.converse(client, "explicit" if protect else None)

    async def test_uploadBeforeCommandClear(self):
        """
        In clear: each upload gets C{226} and is stored whole.
        """
        self.serve()
        finals = await self.earlyUploads(False)
        self.assertEqual([code for code, _ in finals], [226, 226])
        self.assertEqual(self.readFile("early.bin"), b"sent early\n")
        self.assertEqual(self.readFile("empty.bin"), b"")

    async def test_uploadBeforeCommandProtected(self):
        """
        Under C{PROT P} with C{--tls-require-session-reuse}: the handshake,
        the data and the client's close_notify all come before C{STOR};
        each upload gets C{226} and is stored whole.
        """
        self.serve(tlsRequireSessionReuse=True)
        finals = await self.earlyUploads(True)
        self.assertEqual([code for code, _ in finals], [226, 226])
        self.assertEqual(self.readFile("early.bin"), b"sent early\n")
        self.assertEqual(self.readFile("empty.bin"), b"")

    def pipelinedBehindDownload(self, protect):
        """
        Connect the data connection, then send C{RETR old.txt}, C{SIZE},
        C{MDTM} and C{NOOP} in one write; read the data to its end, close
        it, then read every reply.

        @return: a Deferred firing with C{(data, codes)}.
        """
        def client(wire):
            wire.login(protect=protect)
            wire.ok("TYPE I", 200)
            data = connect(wire.passive("EPSV"))
            if protect:
                data = wire.secure(data)
            wire.sock.sendall(b"RETR old.txt\r\nSIZE old.txt\r\n"
                              b"MDTM old.txt\r\nNOOP\r\n")
            received = readToEnd(data)
            data.close()
            replies = [wire.reply() for _ in range(5)]
            return received, replies

        return self.converse(client, "explicit" if protect else None)

    async def test_pipelinedBehindDownload(self):
        """
        In clear and under C{PROT P}: C{150}, C{226}, then C{SIZE}'s,
        C{MDTM}'s and C{NOOP}'s replies, in order.
        """
        self.serve(tlsRequireSessionReuse=True)
        mtime = time.strftime("%Y%m%d%H%M%S", time.gmtime(
            os.stat(os.path.join(self.root, "old.txt")).st_mtime))
        for protect in (False, True):
            received, replies = await self.pipelinedBehindDownload(protect)
            self.assertEqual(received, b"old", protect)
            self.assertEqual(
                [lines[-1] if code == 213 else code
                 for code, lines in replies],
                [150, 226, "213 3", "213 " + mtime, 200], protect)
