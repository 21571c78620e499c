"""
The listings' cache of C{twistd ftpkit} (L{ftpkit.shells.listingcache}):
C{--listing-cache SIZE} and C{--no-listing-cache}
(L{ListingCacheOptionsMixin}, L{listingCacheConfigFields}), and
L{ListingCacheService}, which a process serving sessions runs.
"""

from twisted.application import service

from ftpkit.deploy.limitoptions import parseByteCount
from ftpkit.deploy.optionvalues import checkValues
from ftpkit.shells import listingcache


class ListingCacheOptionsMixin:
    """
    C{--listing-cache} and C{--no-listing-cache}, for a L{usage.Options}
    subclass.
    """

    optFlags = [
        ["no-listing-cache", None,
         ("Read every local directory listed again, rather than keep its "
          "listing while inotify says it is unchanged.")],
    ]

    optParameters = [
        ["listing-cache", None, None,
         ("SIZE (K, M, G suffixes) of the listings of local directories "
          "each process keeps while they are unchanged; 0 keeps none "
          "[default: 32M].")],
    ]


def _cacheSize(text):
    """
    @param text: the value of C{--listing-cache}.
    @return: its bytes, C{0} for none.
    @raise ValueError: saying why otherwise.
    """
    return parseByteCount(text, least=0)


def listingCacheConfigFields(options):
    """
    Check the listings' cache options.

    @param options: parsed options of a class mixing in
        L{ListingCacheOptionsMixin}.
    @return: a C{dict} with C{listingCacheSize} for the
        L{ftpkit.config.ServerConfig}.
    @raise usage.UsageError: with one line naming the option at fault.
    """
    size = checkValues(options, {"listing-cache": _cacheSize})["listing-cache"]
    if options.get("no-listing-cache"):
        size = 0
    elif size is None:
        size = listingcache.MAX_BYTES
    return {"listingCacheSize": size}


class ListingCacheService(service.Service):
    """
    Cache listings in this process while it runs (each process of
    C{--workers} its own cache).
    """

    def __init__(self, size):
        """
        @param size: the most bytes kept; C{0} for no cache.
        """
        self.size = size

    def startService(self):
        """
        Start caching (unless the size is C{0}).
        """
        service.Service.startService(self)
        if self.size:
            listingcache.enable(self.size)

    def stopService(self):
        """
        Stop caching.
        """
        service.Service.stopService(self)
        listingcache.disable()
