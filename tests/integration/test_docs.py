"""
Tests for the built documentation: the API reference shows every zope
interface (Sphinx's autodoc alone skips them without a warning).
"""

import importlib
import os
import re
import subprocess
import sys

from twisted.trial import unittest
from zope.interface.interface import InterfaceClass

from tests.integration.test_plugin import _SOURCE
from tests.scratch import scratchDirectory

DOCS = os.path.join(_SOURCE, "docs")


def documentedModules():
    """
    @return: the names of the modules C{docs/api.rst} documents.
    """
    with open(os.path.join(DOCS, "api.rst"), encoding="utf-8") as f:
        return re.findall(r"^\.\. automodule:: (\S+)", f.read(), re.MULTILINE)


def interfacesOf(moduleName):
    """
    @return: the fully qualified names of the interfaces a module defines,
        and of each of their attributes and methods.
    """
    module = importlib.import_module(moduleName)
    names = []
    for name, value in sorted(vars(module).items()):
        if isinstance(value, InterfaceClass) and value.__module__ == moduleName:
            qualified = f"{moduleName}.{name}"
            names.append(qualified)
            names.extend(f"{qualified}.{member}" for member in value.names())
    return names


class APIReferenceTests(unittest.TestCase):
    """
    The API page, built by Sphinx as CI builds it.
    """

    def setUp(self):
        for needed in ("sphinx", "sphinxcontrib.zopeext"):
            try:
                importlib.import_module(needed)
            except ImportError:
                raise unittest.SkipTest(
                    f"{needed} is missing (pip install -e '.[dev]')")

    def buildAPIPage(self):
        """
        Build only the API page, with the documentation's configuration.

        @return: the HTML of the page.
        """
        source = scratchDirectory(self)
        with open(os.path.join(DOCS, "api.rst"), encoding="utf-8") as f:
            api = f.read()
        with open(os.path.join(source, "api.rst"), "w", encoding="utf-8") as f:
            f.write(api)
        with open(os.path.join(source, "index.rst"), "w", encoding="utf-8") as f:
            f.write("Index\n=====\n\n.. toctree::\n\n   api\n")
        output = os.path.join(source, "_build")
        subprocess.run(
            [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", "-c",
             DOCS, source, output],
            check=True, env=dict(os.environ, PYTHONPATH=_SOURCE),
            capture_output=True)
        with open(os.path.join(output, "api.html"), encoding="utf-8") as f:
            return f.read()

    def test_interfacesRendered(self):
        """
        Every interface of a documented module, and each of its methods and
        attributes, has an entry in the built API page.
        """
        expected = [name for module in documentedModules()
                    for name in interfacesOf(module)]
        self.assertIn("ftpkit.interfaces.shell.IFTPShell", expected)
        self.assertIn("ftpkit.interfaces.files.IRandomWriteFile.writeAt", expected)
        rendered = set(re.findall(r'\bid="([^"]+)"', self.buildAPIPage()))
        self.assertEqual([name for name in expected if name not in rendered], [])
