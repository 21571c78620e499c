"""
fsspec's C{memory://} filesystem with a store of its own
(L{privateMemory}): by default every C{memory://} filesystem of a
process shares one store, a class attribute of C{MemoryFileSystem}, so
that two realms on C{memory://} (C{--realm} and a C{--vhost}, or two
C{--vhost}s) saw and deleted each other's files, and one C{size=} bound
held them all. fsspec 2025 and later take C{global_store=False} for a
store of the filesystem's own; before, the store and the list of
directories made are given to the instance here. And which store a class
is (L{serves}): C{memory://}, C{file://}, whatever the URL called it.
"""

from ftpkit.shells.storageoptions import namedParameters


def privateMemory(cls, options):
    """
    Make a C{memory://} filesystem whose files no other filesystem of the
    process sees (blocking).

    @param cls: fsspec's C{MemoryFileSystem} (or a subclass of it).
    @param options: the keyword arguments to make it with; a
        C{global_store} among them (a store's config asking to share the
        process' store) is kept.
    @return: the filesystem, never one of fsspec's instance cache.
    """
    if "global_store" in namedParameters(cls.__init__):
        return cls(**{"global_store": False, **options,
                      "skip_instance_cache": True})
    fs = cls(**{**options, "skip_instance_cache": True})
    fs.store = {}
    fs.pseudo_dirs = [""]
    return fs


def serves(cls, protocol):
    """
    What a store is, asked of its class, whatever the URL called it
    (C{local://} is C{file://}, and fsspec may be given other aliases):
    the one way the fsspec realm tells C{memory://} and C{file://}.

    @param cls: an fsspec filesystem class.
    @param protocol: a protocol's name, C{"memory"} or C{"file"}.
    @return: whether C{cls} serves it (its C{protocol}, a name or a
        tuple, names it).
    """
    names = getattr(cls, "protocol", ())
    names = (names,) if isinstance(names, str) else tuple(names)
    return protocol in names
