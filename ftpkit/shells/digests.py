"""
The digests the shells compute for checksums (C{HASH} and the X-verbs):
those of C{hashlib}, and CRC-32 (C{XCRC}), which C{hashlib} lacks.
"""

import hashlib
import zlib

from ftpkit.errors import ParameterNotImplemented


class CRC32:
    """
    CRC-32 (ZIP's, C{zlib.crc32}) with C{hashlib}'s C{update} and
    C{hexdigest}: the hex digest is the 32-bit value, big-endian, eight
    digits (as ProFTPD's C{XCRC} gives it).
    """

    name = "crc32"

    def __init__(self):
        self._value = 0

    def update(self, data):
        """
        Add bytes (C{zlib} lets go of the GIL on large ones).

        @param data: any bytes-like object.
        """
        self._value = zlib.crc32(data, self._value)

    def hexdigest(self):
        """
        @return: the checksum so far, eight lowercase hex digits.
        """
        return "%08x" % self._value


def newDigest(algorithm):
    """
    Start a checksum.

    @param algorithm: a C{hashlib} name (C{"sha256"}, C{"md5"}...) or
        C{"crc32"}.
    @return: an object with C{update(data)} and C{hexdigest()}.
    @raise ParameterNotImplemented: for an algorithm neither knows.
    """
    if algorithm == CRC32.name:
        return CRC32()
    try:
        return hashlib.new(algorithm)
    except ValueError:
        raise ParameterNotImplemented() from None
