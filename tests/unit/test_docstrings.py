"""
The docstring rule: every module of C{ftpkit}, and every public function,
class and method in it, has a docstring.
"""

import ast
import os

from twisted.trial import unittest

_FTPKIT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "ftpkit")

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def undocumented(source, name="<source>"):
    """
    The public things of a module that have no docstring.

    @param source: the module's text.
    @param name: the module's name in what is returned.
    @return: a C{list} of C{"name:line: thing"} texts: the module itself
        when it has no docstring, and each function, class and method
        (in a class, at any depth of classes) not named with a leading
        underscore that has none. Functions defined inside functions are
        not public.
    """
    tree = ast.parse(source)
    missing = []
    if ast.get_docstring(tree) is None:
        missing.append(f"{name}:1: (module)")
    pending = [(tree, "")]
    while pending:
        node, prefix = pending.pop()
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _DEFINITIONS) or child.name.startswith("_"):
                continue
            if ast.get_docstring(child) is None:
                missing.append(f"{name}:{child.lineno}: {prefix}{child.name}")
            if isinstance(child, ast.ClassDef):
                pending.append((child, prefix + child.name + "."))
    return sorted(missing)


class UndocumentedTests(unittest.SynchronousTestCase):
    """
    L{undocumented}.
    """

    def test_found(self):
        """
        A public function, class or method, or a module, without a
        docstring is listed.
        """
        source = ("def f():\n    pass\n"
                  "class C:\n    '''C.'''\n    def m(self):\n        pass\n"
                  "class D:\n    def _p(self):\n        pass\n")
        self.assertEqual(undocumented(source, "m"),
                         ["m:1: (module)", "m:1: f", "m:5: C.m", "m:7: D"])

    def test_privateAndNested(self):
        """
        Private names, and functions inside functions, are not listed.
        """
        source = ("'''M.'''\n"
                  "def _f():\n    pass\n"
                  "def g():\n    '''G.'''\n    def inner():\n        pass\n")
        self.assertEqual(undocumented(source), [])


class FtpkitDocstringTests(unittest.SynchronousTestCase):
    """
    Every module under C{ftpkit/}.
    """

    def test_everyPublicThingDocumented(self):
        """
        No module lacks a docstring, and no public function, class or
        method does.
        """
        missing = []
        for folder, _, names in os.walk(_FTPKIT):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, encoding="utf-8") as f:
                        missing.extend(undocumented(
                            f.read(), os.path.relpath(path, _FTPKIT)))
        self.assertEqual(missing, [])
