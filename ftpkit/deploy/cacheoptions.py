"""
The listings' options of C{twistd ftpkit}: their cache
(L{ftpkit.shells.listingcache}), C{--listing-cache SIZE} and
C{--no-listing-cache}, and the bounds of recursive listings
(L{ftpkit.protocol.listingtree}), C{--recursive-listing-depth N} and
C{--recursive-listing-entries N} (L{ListingCacheOptionsMixin},
L{listingCacheConfigFields}); and L{ListingCacheService}, which a process
serving sessions runs.
"""

from twisted.application import service
from twisted.python import usage

from ftpkit.control.handlers.session import STAT_LIST_LIMIT
from ftpkit.deploy.limitoptions import parseByteCount
from ftpkit.deploy.optionvalues import checkValues, positiveInteger
from ftpkit.protocol.listingtree import TreeLimits
from ftpkit.protocol.numbertext import wholeNumber
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
         ("SIZE (K, M, G, T suffixes) of the listings of local directories "
          "each process keeps while they are unchanged; 0 keeps none "
          "[default: 32M].")],
        ["recursive-listing-depth", None, None,
         ("N: LIST -R, NLST -R and STAT -R go no more than N directories "
          "below the one listed; 0 ignores -R [default: %d]."
          % TreeLimits().depth)],
        ["recursive-listing-entries", None, None,
         ("N: LIST -R and NLST -R send at most N entries (STAT -R at most "
          "%d) [default: %d]." % (STAT_LIST_LIMIT, TreeLimits().entries))],
    ]


def _cacheSize(text):
    """
    @param text: the value of C{--listing-cache}.
    @return: its bytes, C{0} for none.
    @raise ValueError: saying why otherwise.
    """
    return parseByteCount(text, least=0)


def _depth(text):
    """
    @param text: the value of C{--recursive-listing-depth}.
    @return: its levels, C{0} for none.
    @raise ValueError: saying why otherwise.
    """
    try:
        return wholeNumber(text)
    except ValueError:
        raise ValueError(f"must be 0 or a positive integer, not {text!r}")


def listingCacheConfigFields(options):
    """
    Check the listings' options.

    @param options: parsed options of a class mixing in
        L{ListingCacheOptionsMixin}.
    @return: a C{dict} with C{listingCacheSize} and C{listingTreeLimits}
        for the L{ftpkit.config.ServerConfig}.
    @raise usage.UsageError: with one line naming the option at fault;
        C{--no-listing-cache} with C{--listing-cache}, which it silently
        overrode (a size given to a unit file that also said no cache).
    """
    if options.get("no-listing-cache") and (
            options.get("listing-cache") is not None):
        raise usage.UsageError(
            "--no-listing-cache: contradicts --listing-cache (give one of "
            "them: --listing-cache 0 keeps no listing too)")
    values = checkValues(options, {
        "listing-cache": _cacheSize,
        "recursive-listing-depth": _depth,
        "recursive-listing-entries": positiveInteger})
    size = values["listing-cache"]
    if options.get("no-listing-cache"):
        size = 0
    elif size is None:
        size = listingcache.MAX_BYTES
    depth = values["recursive-listing-depth"]
    entries = values["recursive-listing-entries"]
    defaults = TreeLimits()
    limits = TreeLimits(defaults.depth if depth is None else depth,
                        defaults.entries if entries is None else entries)
    return {"listingCacheSize": size, "listingTreeLimits": limits}


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
