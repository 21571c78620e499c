"""
An upload written in place (C{APPE}, C{REST} + C{STOR}) refused for its
size (C{552}: past C{--max-upload-size}, or past C{--realm memory:SIZE})
over real loopback sockets, on the disk realm, C{--realm memory} and
C{fsspec:memory://}: each leaves the file at its length before the
upload, an appended file as it was, a resumed one too (the disk wrote
over the bytes from the C{REST} offset on, in place, but keeps those
past what it wrote).

C{--realm memory} left a resumed file whole (it stores an upload only
when it ends), where the disk and C{fsspec:memory://} kept the bytes
before the offset: a client's C{SIZE} afterwards differed by realm.
Then all three cut it back to the offset, losing the old bytes past
those the upload wrote, which no client sent over (session 55).
"""

import io

from twisted.trial import unittest

from ftpkit.auth.realms import MemoryRealm
from tests import cutuploads
from tests.fsspecrealms import MemoryMixin
from tests.integration.test_diskfull import storeFailing

FILE_SIZE = 100000
"""The bytes of C{f} before the refused upload."""

LIMIT = 500000
"""C{--max-upload-size}."""


SHORT_LIMIT = 20000
"""C{--max-upload-size} below L{FILE_SIZE}."""


class RefusedMixin(cutuploads.TwoUsersMixin):
    """
    alice's C{f} holds L{FILE_SIZE} bytes; she sends more than
    C{--max-upload-size} (C{limit}) written in place. Subclasses say
    which realm (C{makeRealm}).
    """

    limit = LIMIT

    def serverSettings(self):
        """
        @return: C{--max-upload-size} C{limit}.
        """
        return {"maxUploadSize": self.limit}

    def refused(self, size, rest=None):
        """
        Store C{f}, then send C{size} bytes appended to it, or from
        C{rest} on unless C{None}.

        @return: a Deferred firing with the final reply's code and C{f}'s
            bytes after.
        """
        def run():
            ftp = self.login()
            try:
                # In pieces each within the limit.
                for start in range(0, FILE_SIZE, self.limit):
                    ftp.storbinary("APPE f" if start else "STOR f",
                                   io.BytesIO(b"o" * min(
                                       self.limit, FILE_SIZE - start)))
                final = storeFailing(ftp, "APPE f" if rest is None
                                     else "STOR f", size, rest=rest)
                received = []
                ftp.retrbinary("RETR f", received.append)
                return final[:3], b"".join(received)
            finally:
                ftp.quit()
        return self.inThread(run)


class RefusedInPlaceMixin(RefusedMixin):
    """
    Uploads past L{LIMIT}, which go past C{f}'s end.
    """

    async def test_resumeOverLimit(self):
        """
        A resume past C{--max-upload-size} leaves the file at its length
        before.
        """
        code, data = await self.refused(LIMIT + 100000, rest=50000)
        self.assertEqual((code, len(data)), ("552", FILE_SIZE))

    async def test_appendOverLimit(self):
        """
        An append past it leaves the file as it was.
        """
        self.assertEqual(await self.refused(LIMIT + 100000),
                         ("552", b"o" * FILE_SIZE))


class ShortRefusedMixin(RefusedMixin):
    """
    A resume refused past L{SHORT_LIMIT}, before it reached C{f}'s end.
    """

    limit = SHORT_LIMIT

    async def test_tailKept(self):
        """
        The old bytes past those the upload wrote stay: C{f} keeps its
        length, and all but what the upload could have written over.
        """
        code, data = await self.refused(2 * SHORT_LIMIT, rest=10)
        self.assertEqual((code, len(data)), ("552", FILE_SIZE))
        self.assertEqual(data[:10], b"o" * 10)
        self.assertEqual(data[10 + 2 * SHORT_LIMIT:],
                         b"o" * (FILE_SIZE - 10 - 2 * SHORT_LIMIT))


class DiskTests(cutuploads.DiskRealmMixin, RefusedInPlaceMixin,
                unittest.TestCase):
    """
    The disk realm, which writes the file in place.
    """


class MemoryTests(cutuploads.MemoryRealmMixin, RefusedInPlaceMixin,
                  unittest.TestCase):
    """
    C{--realm memory}.
    """


class MemorySizeTests(RefusedInPlaceMixin, unittest.TestCase):
    """
    C{--realm memory:300000}, whose size refuses the uploads before
    L{LIMIT} does.
    """

    def makeRealm(self):
        """
        @return: a memory realm of 300,000 bytes.
        """
        return MemoryRealm(maxBytes=300000)


class FsspecMemoryTests(MemoryMixin, RefusedInPlaceMixin, unittest.TestCase):
    """
    C{--realm fsspec:memory://}.
    """


class DiskShortTests(cutuploads.DiskRealmMixin, ShortRefusedMixin,
                     unittest.TestCase):
    """
    The disk realm.
    """


class MemoryShortTests(cutuploads.MemoryRealmMixin, ShortRefusedMixin,
                       unittest.TestCase):
    """
    C{--realm memory}.
    """


class FsspecMemoryShortTests(MemoryMixin, ShortRefusedMixin,
                             unittest.TestCase):
    """
    C{--realm fsspec:memory://}.
    """
