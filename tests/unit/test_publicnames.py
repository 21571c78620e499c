"""
The public import paths the contract and the docs name keep working after
the package layout: each old name is the moved module itself, so classes
keep their identity for C{isinstance} and for plugins outside this
repository.
"""

import importlib
import pkgutil

from twisted.trial import unittest
from zope.interface.interface import InterfaceClass

ALIASES = {
    "ftpkit.realms": "ftpkit.auth.realms",
    "ftpkit.server": "ftpkit.control.server",
    "ftpkit.users": "ftpkit.auth.users",
    "ftpkit.passwd": "ftpkit.auth.passwd",
    "ftpkit.who": "ftpkit.ops.who",
    "ftpkit.pgadmin": "ftpkit.auth.pgadmin",
}

PUBLIC = ["ftpkit.interfaces", "ftpkit.errors", "ftpkit.fileinfo",
          "ftpkit.config", "ftpkit.testing", "ftpkit.blocking",
          "ftpkit.embedding",
          "ftpkit.shells.filesystem", "ftpkit.shells.memory"]


class PublicNameTests(unittest.SynchronousTestCase):
    """
    The names of the contract's Python API import.
    """

    def test_aliases(self):
        """
        Each kept name gives the very module that moved.
        """
        for old, new in ALIASES.items():
            self.assertIs(importlib.import_module(old),
                          importlib.import_module(new), old)

    def test_contractNames(self):
        """
        The contract's classes are where it says they are.
        """
        from ftpkit.server import FTPFactory
        from ftpkit.shells.filesystem import FilesystemShell
        from ftpkit.shells.memory import MemoryShell
        from ftpkit.testing import IFTPShellConformanceMixin
        for thing in (FTPFactory, FilesystemShell, MemoryShell,
                      IFTPShellConformanceMixin):
            self.assertTrue(callable(thing))
        for name in PUBLIC:
            importlib.import_module(name)

    def test_embeddingNames(self):
        """
        C{ftpkit.embedding} gives L{FTPService}, C{logObserver} and the
        very C{makeContextFactory} C{docs/tls.rst} names.
        """
        from ftpkit import embedding
        from ftpkit.control import tls

        self.assertEqual(sorted(embedding.__all__),
                         ["FTPService", "logObserver",
                          "makeContextFactory"])
        self.assertIs(embedding.makeContextFactory, tls.makeContextFactory)

    def test_interfacesReexported(self):
        """
        Every interface of the modules in the C{ftpkit.interfaces} package
        is importable from C{ftpkit.interfaces} itself, as the same object,
        and named in its C{__all__}.
        """
        import ftpkit.interfaces as public
        defined = {}
        for info in pkgutil.iter_modules(public.__path__):
            module = importlib.import_module(f"ftpkit.interfaces.{info.name}")
            for name, value in vars(module).items():
                if (isinstance(value, InterfaceClass)
                        and value.__module__ == module.__name__):
                    defined[name] = value
        self.assertIn("IFTPShell", defined)
        for name, value in defined.items():
            self.assertIs(getattr(public, name, None), value, name)
        self.assertEqual(sorted(set(public.__all__) - {"OPTIONAL_SHELL_INTERFACES"}),
                         sorted(defined))

    def test_diskfilesNames(self):
        """
        C{ftpkit.shells.diskfiles}, split into a module per job, still
        gives each of its public names, as the same objects.
        """
        from ftpkit.shells import (
            diskfiles,
            diskplacing,
            diskqueue,
            diskreader,
            diskwriter,
            outcome,
        )
        for name in diskfiles.__all__:
            homes = [module for module in (diskqueue, diskreader, diskwriter,
                                           diskplacing, outcome)
                     if hasattr(module, name)]
            self.assertTrue(homes, name)
            self.assertIs(getattr(diskfiles, name), getattr(homes[0], name))
