"""
Names moved out of a module that grew too large (C{tests/unit/test_sizes}),
or to the one that checks a config's values (L{ftpkit.configvalues}), stay
importable from where code outside the repository, and the docs,
found them: each is the very object of its new module.
"""

import importlib

from twisted.trial import unittest

MOVED = (
    ("ftpkit.data.tls", "ftpkit.data.tlslayer",
     ("ANSWERS_LIMIT", "BULK_WRITE_SIZE", "DataTLSProtocol",
      "keepSessionResumable", "receivedCloseNotify", "sentCloseNotify")),
    ("ftpkit.deploy.workers", "ftpkit.deploy.workerspawn",
     ("interpreterProblem",)),
    ("ftpkit.deploy.workers", "ftpkit.deploy.workerstop", ("STOP_MARGIN",)),
    ("ftpkit.shells.fsspecbackends", "ftpkit.shells.fsspecposix",
     ("LocalBackend", "MemoryBackend", "SFTPBackend", "SFTP_DEADLINE",
      "confined")),
    ("ftpkit.deploy.tap", "ftpkit.deploy.commandline",
     ("helpNotRead", "usageErrorLine")),
    ("ftpkit.protocol.listingfacts", "ftpkit.protocol.factlines",
     ("DEFAULT_FACTS", "FACTS", "OWNER_FACTS", "factName", "formatFacts",
      "formatMLSD", "isFactValue", "maskOf", "mlstFeature", "permissions")),
    ("ftpkit.control.sessionlimits", "ftpkit.configvalues", ("parseNetwork",)),
    ("ftpkit.control.proxied", "ftpkit.configvalues", ("parseNetworks",)),
)
"""C{(old module, new module, names)} for each split or move."""


def notReExported(moved):
    """
    @param moved: C{(old module, new module, names)} triples, as
        L{MOVED}.
    @return: the C{"old.name"} of each name the old module does not give
        as the new module's object, sorted.
    """
    missing = []
    for old, new, names in moved:
        oldModule = importlib.import_module(old)
        newModule = importlib.import_module(new)
        for name in names:
            if getattr(oldModule, name, None) is not getattr(newModule, name):
                missing.append(f"{old}.{name}")
    return sorted(missing)


class MovedNamesTests(unittest.SynchronousTestCase):
    """
    L{MOVED} against the modules.
    """

    def test_stillImportable(self):
        """
        Every moved name is importable from its old module, as the same
        object.
        """
        self.assertEqual(notReExported(MOVED), [])

    def test_missingFound(self):
        """
        L{notReExported} names a name the old module lacks, and one it
        gives as another object.
        """
        self.assertEqual(
            notReExported((("ftpkit.data.tls", "ftpkit.data.tlslayer",
                            ("DataTLSProtocol",)),
                           ("ftpkit.data.tlslayer", "ftpkit.data.tls",
                            ("DataTLS", "__doc__")))),
            ["ftpkit.data.tlslayer.DataTLS", "ftpkit.data.tlslayer.__doc__"])
