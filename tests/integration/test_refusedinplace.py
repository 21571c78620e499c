"""
An upload written in place (C{APPE}, C{REST} + C{STOR}) refused for its
size (C{552}: past C{--max-upload-size}, or past C{--realm memory:SIZE})
over real loopback sockets, on the disk realm, C{--realm memory} and
C{fsspec:memory://}: each leaves what the disk does, an appended file as
it was, a resumed one cut back to the C{REST} offset (the disk wrote
over the bytes past it, in place).

C{--realm memory} left a resumed file whole (it stores an upload only
when it ends), where the disk and C{fsspec:memory://} kept the bytes
before the offset: a client's C{SIZE} afterwards differed by realm.
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


class RefusedInPlaceMixin(cutuploads.TwoUsersMixin):
    """
    alice's C{f} holds L{FILE_SIZE} bytes; she sends more than L{LIMIT}
    written in place. Subclasses say which realm (C{makeRealm}).
    """

    def serverSettings(self):
        """
        @return: C{--max-upload-size} L{LIMIT}.
        """
        return {"maxUploadSize": LIMIT}

    def refused(self, size, rest=None):
        """
        Store C{f}, then send C{size} bytes appended to it, or from
        C{rest} on unless C{None}.

        @return: a Deferred firing with the final reply's code and C{f}'s
            size after.
        """
        def run():
            ftp = self.login()
            try:
                ftp.storbinary("STOR f", io.BytesIO(
                    b"o" * FILE_SIZE))
                final = storeFailing(ftp, "APPE f" if rest is None
                                     else "STOR f", size, rest=rest)
                return final[:3], ftp.size("f")
            finally:
                ftp.quit()
        return self.inThread(run)

    async def test_resumeOverLimit(self):
        """
        A resume past C{--max-upload-size} leaves the bytes before its
        offset.
        """
        self.assertEqual(await self.refused(LIMIT + 100000, rest=50000),
                         ("552", 50000))

    async def test_appendOverLimit(self):
        """
        An append past it leaves the file as it was.
        """
        self.assertEqual(await self.refused(LIMIT + 100000),
                         ("552", FILE_SIZE))


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
