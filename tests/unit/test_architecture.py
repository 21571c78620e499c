"""
The module map of C{docs/architecture.rst} stays whole: every package of
C{ftpkit} is in its table of packages, every top-level module is named on
the page, and every C{ftpkit} name the page gives exists.
"""

import importlib
import os
import re

from twisted.trial import unittest

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

_PAGE = os.path.join(_ROOT, "docs", "architecture.rst")

_NAME = re.compile(r"\bftpkit(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _page():
    """
    @return: the text of C{docs/architecture.rst}.
    """
    with open(_PAGE, encoding="utf-8") as f:
        return f.read()


def packagesAndModules(top):
    """
    @param top: the directory of the C{ftpkit} package.
    @return: C{(packages, modules)}: the dotted names of the packages
        below it (not C{ftpkit} itself), and of its top-level modules.
    """
    packages, modules = [], []
    for folder, _, names in os.walk(top):
        if "__init__.py" in names and folder != top:
            packages.append("ftpkit." + os.path.relpath(folder, top).replace(
                os.sep, "."))
        if folder == top:
            modules.extend("ftpkit." + name[:-3] for name in names
                           if name.endswith(".py") and name != "__init__.py")
    return sorted(packages), sorted(modules)


def missingNames(text):
    """
    @param text: a page.
    @return: the C{ftpkit} dotted names in it that name neither a module
        nor an attribute of one (a class, a function, a constant).
    """
    missing = []
    for name in sorted(set(_NAME.findall(text))):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                found = getattr(found, attribute, missingNames)
                if found is missingNames:
                    missing.append(name)
                    break
            break
        else:
            missing.append(name)
    return missing


def tableNames(text, heading):
    """
    @param text: a reStructuredText page.
    @param heading: the title of the section holding a simple table.
    @return: the C{``names``} that start the table's rows.
    """
    section = text.split(heading + "\n", 1)[1]
    table = section.split("\n=", 2)[1]
    return re.findall(r"^``([^`]+)``", table, re.MULTILINE)


class ModuleMapTests(unittest.SynchronousTestCase):
    """
    C{docs/architecture.rst} against the tree.
    """

    def test_everyPackageInTable(self):
        """
        Each package (below the top) is a row of the table of packages,
        or, for a package inside another, named on the page; and every
        row is a package.
        """
        packages, _ = packagesAndModules(os.path.join(_ROOT, "ftpkit"))
        text = _page()
        rows = tableNames(text, "Packages")
        named = set(_NAME.findall(text))
        self.assertEqual(
            [name for name in packages if name not in rows
             and not (name.count(".") > 1 and name in named)], [])
        self.assertEqual([row for row in rows if row not in packages], [])

    def test_everyModuleNamed(self):
        """
        Each top-level module is named on the page, in full or as its
        last part (the list of public names keeps C{``errors``} short).
        """
        _, modules = packagesAndModules(os.path.join(_ROOT, "ftpkit"))
        text = _page()
        self.assertEqual(
            [name for name in modules if f"``{name}``" not in text
             and f"``{name.split('.')[-1]}``" not in text], [])

    def test_namesExist(self):
        """
        Every C{ftpkit} name on the page is a module or an attribute of
        one.
        """
        self.assertEqual(missingNames(_page()), [])

    def test_missingFound(self):
        """
        L{missingNames} finds a module or an attribute that is not there,
        and passes one that is.
        """
        self.assertEqual(
            missingNames("``ftpkit.protocol.paths.resolve``, "
                         "``ftpkit.protocol.nosuch``, "
                         "``ftpkit.protocol.paths.nosuch``"),
            ["ftpkit.protocol.nosuch", "ftpkit.protocol.paths.nosuch"])
