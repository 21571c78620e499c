"""
aioftp over FTPS (issue 19, item 1): aioftp completes the data
connection's TLS handshake before it sends the transfer command, so a
server that waits for the command before answering the handshake stalls
every transfer.
"""

import asyncio

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.tlssupport import FTPSTestsMixin, clientContext

try:
    import aioftp
except ImportError:  # pragma: no cover (aioftp is in the dev extra)
    aioftp = None


async def _session(port, implicit, payload):
    """
    Log in with aioftp over explicit or implicit FTPS, upload C{payload},
    download it again and list the directory.

    @return: C{(downloaded, names)}.
    """
    context = clientContext()
    client = aioftp.Client(ssl=context if implicit else None,
                           socket_timeout=20, connection_timeout=20)
    await client.connect("127.0.0.1", port)
    try:
        if not implicit:
            await client.upgrade_to_tls(context)
        await client.login("alice", "secret")
        await client.command("PBSZ 0", "200")
        await client.command("PROT P", "200")
        async with client.upload_stream("aioftp.bin") as stream:
            await stream.write(payload)
        chunks = []
        async with client.download_stream("aioftp.bin") as stream:
            async for block in stream.iter_by_block():
                chunks.append(block)
        names = sorted(str(path) for path, _ in await client.list())
        return b"".join(chunks), names
    finally:
        client.close()


class AioftpTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    aioftp uploads, downloads and lists over explicit and implicit FTPS,
    TLS 1.2 and 1.3.
    """

    def setUp(self):
        if aioftp is None:
            raise unittest.SkipTest("aioftp is not installed")
        FTPSTestsMixin.setUp(self)

    def roundTrip(self, implicit, allow13):
        if allow13:
            self.factory = makeContextFactory(self.both, maximumVersion=None)
        if implicit:
            self.serveImplicit()
        else:
            self.serve()
        payload = self.payload[:1 << 20]

        def client():
            return asyncio.run(_session(self.server.port, implicit, payload))

        def check(result):
            downloaded, names = result
            self.assertTrue(downloaded == payload,
                            "%d bytes back" % len(downloaded))
            self.assertEqual(self.readFile("aioftp.bin"), payload)
            self.assertEqual(names, ["aioftp.bin", "big.bin"])
        return self.inThread(client).addCallback(check)

    def test_explicit(self):
        return self.roundTrip(implicit=False, allow13=False)

    def test_explicitTLS13(self):
        return self.roundTrip(implicit=False, allow13=True)

    def test_implicit(self):
        return self.roundTrip(implicit=True, allow13=False)

    def test_implicitTLS13(self):
        return self.roundTrip(implicit=True, allow13=True)
