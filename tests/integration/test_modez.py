"""
C{MODE Z} end to end: Python's ftplib with zlib on the data socket
(L{tests.deflateclient}) against a real server, over clear and TLS data
connections, passive (C{PASV}, C{EPSV}) and active: files and listings
compressed, uploads inflated into the file, a corrupt or cut stream a cut
upload, a decompression bomb stopped by C{--max-upload-size}.
"""

import ftplib
import hashlib
import os
import zlib

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data.movers import _deflate
from ftpkit.data.producers import ConsumerFilter
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import diskUsage
from tests.deflateclient import retrDeflated, storDeflated, storRaw
from tests.ftpclient import ftplibLogin
from tests.integration.test_attack_quota import QUOTA, _QuotaRealm
from tests.integration.test_clients_listings import MANY, writeMany
from tests.scratch import scratchDirectory
from tests.smallmounts import smallFilesystem
from tests.tlssupport import FTPSTestsMixin


def _useEPSV(ftp):
    """
    Make ftplib open its passive connections with C{EPSV}.
    """
    def makepasv():
        return ftplib.parse229(ftp.sendcmd("EPSV"), ftp.sock.getpeername())
    ftp.makepasv = makepasv


class _InflatedWatch(ConsumerFilter):
    """
    Between an upload's inflater and the consumer behind it (its file's):
    counts what the inflater hands on, the largest single write, and the
    bytes written while the consumer behind has the inflater paused.

    @ivar inflated: the bytes handed on.
    @ivar largest: the largest single write.
    @ivar whilePaused: the bytes handed on while paused.
    """

    inflated = largest = whilePaused = 0
    _paused = False
    _producer = None

    @classmethod
    def install(cls, test):
        """
        Put one watch behind every inflater made during C{test}.

        @return: the watch (one for all of them: the bomb tests run one
            upload).
        """
        watch = cls(None)
        real = _deflate.InflatingConsumer

        def inflating(consumer, connection):
            watch._consumer = consumer
            return real(watch, connection)
        test.patch(_deflate, "InflatingConsumer", inflating)
        return watch

    def registerProducer(self, producer, streaming):
        self._producer = producer
        self._consumer.registerProducer(self, streaming)

    def pauseProducing(self):
        self._paused = True
        self._producer.pauseProducing()

    def resumeProducing(self):
        self._paused = False
        self._producer.resumeProducing()

    def stopProducing(self):
        self._producer.stopProducing()

    def write(self, data):
        self.inflated += len(data)
        self.largest = max(self.largest, len(data))
        if self._paused:
            self.whilePaused += len(data)
        self._consumer.write(data)


class ModeZTransferTests(FTPSTestsMixin, unittest.TestCase):
    """
    Transfers in C{MODE Z}, on servers that offer it (C{--mode-z}).
    """

    def serve(self, **settings):
        """
        @see: L{FTPSTestsMixin.serve}; with C{MODE Z} offered.
        """
        return FTPSTestsMixin.serve(self, modeZ=True, **settings)

    def login(self, tls=False, data="pasv"):
        """
        Log in as alice (blocking), in C{TYPE I} and C{MODE Z}.

        @param tls: C{AUTH TLS} and C{PROT P}.
        @param data: C{"pasv"}, C{"epsv"} or C{"active"}.
        """
        ftp = self.connect() if tls else ftplibLogin(
            self, self.server.port, timeout=20)
        if tls:
            ftp.prot_p()
        if data == "epsv":
            _useEPSV(ftp)
        elif data == "active":
            ftp.set_pasv(False)
        ftp.voidcmd("TYPE I")
        ftp.voidcmd("MODE Z")
        return ftp

    def roundTrip(self, tls, data):
        """
        Upload and download a 1 MB random file and a 1 MB compressible
        one, an empty one, and compare.
        """
        random = os.urandom(1 << 20)
        text = b"".join(b"line %d of a compressible file\n" % i
                        for i in range(40000))[:1 << 20]
        ftp = self.login(tls, data)
        for name, content in (("random.bin", random), ("text.txt", text),
                              ("empty", b"")):
            self.assertTrue(storDeflated(ftp, "STOR " + name,
                                         content).startswith("226"))
            self.assertEqual(self.readFile(name), content)
            got, wire, reply = retrDeflated(ftp, "RETR " + name)
            self.assertTrue(reply.startswith("226"), reply)
            self.assertEqual(hashlib.sha256(got).digest(),
                             hashlib.sha256(content).digest())
            if name == "text.txt":
                self.assertLess(wire, len(content) // 10)
        got, _, _ = retrDeflated(ftp, "RETR big.bin")
        self.assertEqual(got, self.payload)
        ftp.quit()

    async def test_pasvClear(self):
        """
        PASV, clear data connections.
        """
        self.serve()
        await self.inThread(self.roundTrip, False, "pasv")

    async def test_epsvTLS(self):
        """
        EPSV, PROT P data connections.
        """
        self.serve()
        await self.inThread(self.roundTrip, True, "epsv")

    async def test_activeTLS(self):
        """
        Active (PORT), PROT P data connections.
        """
        self.serve()
        await self.inThread(self.roundTrip, True, "active")

    async def test_asciiAndListings(self):
        """
        In TYPE A the conversion comes before the compression, under
        PROT P; LIST, NLST and MLSD are compressed too (FileZilla lists in
        MODE Z); MODE S goes back to plain bytes.
        """
        self.serve()
        with open(os.path.join(self.root, "lines.txt"), "wb") as f:
            f.write(b"one\ntwo\n")

        def run():
            ftp = self.login(tls=True)
            ftp.voidcmd("TYPE A")
            text, _, _ = retrDeflated(ftp, "RETR lines.txt")
            self.assertEqual(text, b"one\r\ntwo\r\n")
            storDeflated(ftp, "STOR up.txt", b"a\r\nb\r\n")
            self.assertEqual(self.readFile("up.txt"), b"a\nb\n")
            listings = [retrDeflated(ftp, verb)[0]
                        for verb in ("LIST", "NLST", "MLSD")]
            for listing in listings:
                self.assertIn(b"lines.txt", listing)
            ftp.voidcmd("MODE S")
            plain = []
            ftp.retrlines("NLST", plain.append)
            self.assertIn("lines.txt", plain)
            ftp.quit()
        await self.inThread(run)

    async def test_restart(self):
        """
        REST counts file bytes, as in ProFTPD: the download carries a
        new stream of the file from there, the upload's stream is written
        there.
        """
        self.serve()

        def run():
            ftp = self.login()
            ftp.sendcmd("REST 1000")
            got, _, _ = retrDeflated(ftp, "RETR big.bin")
            self.assertEqual(got, self.payload[1000:])
            storDeflated(ftp, "STOR part.bin", b"a" * 10)
            ftp.sendcmd("REST 5")
            storDeflated(ftp, "STOR part.bin", b"b" * 10)
            self.assertEqual(self.readFile("part.bin"), b"aaaaa" + b"b" * 10)
            ftp.quit()
        await self.inThread(run)

    async def test_badStreams(self):
        """
        A corrupt stream, and one cut before its end, get C{426} and are
        handled as a cut upload: the file they would replace is intact;
        the session goes on; in clear and under PROT P. An upload that
        sent nothing is an empty file.
        """
        self.serve()
        with open(os.path.join(self.root, "keep.bin"), "wb") as f:
            f.write(b"precious")
        stream = zlib.compress(os.urandom(200000))

        def run(tls):
            ftp = self.login(tls)
            for wire, text in ((b"not a zlib stream" * 100, "corrupt"),
                               (stream[:-100], "ended early"),
                               (stream + b"trailing", "corrupt")):
                with self.assertRaises(ftplib.error_temp) as caught:
                    storRaw(ftp, "STOR keep.bin", wire)
                self.assertTrue(str(caught.exception).startswith("426"))
                self.assertIn(text, str(caught.exception))
                self.assertEqual(self.readFile("keep.bin"), b"precious")
            storRaw(ftp, "STOR nothing.bin", b"")
            self.assertEqual(self.readFile("nothing.bin"), b"")
            ftp.voidcmd("NOOP")
            ftp.quit()
        await self.inThread(run, False)
        await self.inThread(run, True)

    def sendBomb(self, code="552"):
        """
        Upload a stream of 1 GB of zeros (about 1 MB on the wire): it
        gets C{code}, and the server holds no more of it inflated than
        the inflater's bound: each write it hands to the upload's file is
        at most L{_deflate.INFLATE_CHUNK} bytes, and none comes while the
        file has it paused (L{_InflatedWatch}; each bomb test failed with
        the inflater's C{max_length} taken away, and those whose file
        pauses with the pause check taken away).
        """
        compressor = zlib.compressobj(9)
        zeros = b"\0" * (1 << 20)
        bomb = b"".join(compressor.compress(zeros) for _ in range(1024))
        bomb += compressor.flush()
        self.assertLess(len(bomb), 2 << 20)
        watch = _InflatedWatch.install(self)

        def run():
            ftp = self.login()
            with self.assertRaises(ftplib.Error) as caught:
                storRaw(ftp, "STOR bomb.bin", bomb)
            self.assertTrue(str(caught.exception).startswith(code))
            ftp.quit()

        def check(_):
            self.assertGreater(watch.inflated, 0)
            self.assertLessEqual(watch.largest, _deflate.INFLATE_CHUNK)
            self.assertEqual(watch.whilePaused, 0)
        return self.inThread(run).addCallback(check)

    async def test_bombOverSize(self):
        """
        A bomb against C{--max-upload-size} of 8 MB: C{552}, nothing kept.
        """
        self.serve(maxUploadSize=8 << 20)
        await self.sendBomb()
        self.assertNotIn("bomb.bin", os.listdir(self.root))

    async def test_bombOverQuota(self):
        """
        A bomb against a quota of 64 KiB: C{552}, the quota holds.
        """
        root = scratchDirectory(self)
        self.server = self.startServer(
            _QuotaRealm(lambda: FilesystemShell(root),
                        lambda: diskUsage(root)),
            ServerConfig(loginFailureDelay=0, modeZ=True))
        await self.sendBomb()
        bomb = os.path.join(root, "bomb.bin")
        self.assertLessEqual(
            os.path.getsize(bomb) if os.path.exists(bomb) else 0, QUOTA)

    async def test_transferLogCountsData(self):
        """
        The transfer log counts a C{MODE Z} transfer's data, the bytes
        C{MODE S} would have moved, not the fewer compressed ones on the
        wire; listings count likewise.
        """
        path = os.path.join(scratchDirectory(self), "xferlog")
        self.serve(xferlog=path)
        text = b"a compressible line\n" * 50000

        def run():
            ftp = self.login()
            storDeflated(ftp, "STOR text.txt", text)
            got, wire, _ = retrDeflated(ftp, "RETR text.txt")
            self.assertEqual(got, text)
            self.assertLess(wire, len(text) // 10)
            ftp.quit()
        await self.inThread(run)
        with open(path) as f:
            counts = [line.split()[7] for line in f.read().splitlines()]
        self.assertEqual(counts, [str(len(text))] * 2)

    async def test_bombDiskFull(self):
        """
        A bomb onto a 4 MiB disk: C{452} when the disk is full, as any
        upload that fills it; the file it would replace is intact.
        """
        root = smallFilesystem(self, size="4m")
        with open(os.path.join(root, "bomb.bin"), "wb") as f:
            f.write(b"old")
        self.server = self.startServer(
            FilesystemRealm(root), ServerConfig(loginFailureDelay=0,
                                                modeZ=True))
        await self.sendBomb("452")
        with open(os.path.join(root, "bomb.bin"), "rb") as f:
            self.assertEqual(f.read(), b"old")

    async def test_paced(self):
        """
        Under rate limits (the paced pipe between the file and the
        compressor, and between the wire and the inflater) the bytes come
        and go whole.
        """
        self.serve(maxDownloadRate=64 << 20, maxUploadRate=64 << 20)
        data = os.urandom(300000) + b"\0" * 300000

        def run():
            ftp = self.login()
            storDeflated(ftp, "STOR paced.bin", data)
            self.assertEqual(self.readFile("paced.bin"), data)
            got, _, _ = retrDeflated(ftp, "RETR paced.bin")
            self.assertEqual(got, data)
            ftp.quit()
        await self.inThread(run)

    async def test_pacedListing(self):
        """
        An C{MLSD} of L{MANY} entries under C{PROT P} and a download rate,
        which sends the stream's end apart from the rest (where lftp loses
        a listing's end: docs/protocol.rst, "MODE Z"), comes whole: every
        entry, then the stream's end.
        """
        writeMany(os.path.join(self.root, "many"))
        self.serve(maxDownloadRate=4 << 20)

        def run():
            ftp = self.login(tls=True)
            ftp.voidcmd("TYPE A")
            listing, _, reply = retrDeflated(ftp, "MLSD many")
            ftp.quit()
            return listing, reply
        listing, reply = await self.inThread(run)
        self.assertTrue(reply.startswith("226"), reply)
        names = [line.split(b"; ", 1)[1] for line in listing.splitlines()
                 if b"type=file;" in line]
        self.assertEqual(sorted(names), [b"f%05d" % i for i in range(MANY)])

    async def test_abortUpload(self):
        """
        C{ABOR} during an upload in C{MODE Z} gets the C{426} of any
        aborted upload (not one blaming the stream it cut short), then
        C{226}.
        """
        self.serve()
        stream = zlib.compress(os.urandom(100000))

        def run():
            ftp = self.login()
            conn = ftp.transfercmd("STOR cut.bin")
            conn.sendall(stream[:50000])
            ftp.putcmd("ABOR")
            # The data connection stays open until the 426: closed first,
            # the upload could end with it before the ABOR came (a stream
            # ended early; test_abortwithend has both arrive together).
            replies = [ftp.getline()]
            conn.close()
            replies.append(ftp.getline())
            ftp.quit()
            return replies
        replies = await self.inThread(run)
        self.assertTrue(replies[0].startswith("426"), replies)
        self.assertNotIn("stream", replies[0])
        self.assertTrue(replies[1].startswith("226"), replies)
