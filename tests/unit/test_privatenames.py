"""
The rule of L{ftpkit.compat}: nothing outside it reads, sets or
overrides a private name of Twisted or pyOpenSSL (or fsspec), so that a
release renaming one breaks one module, which
C{tests/integration/test_compat*.py} check.
"""

import ast
import importlib
import inspect
import os
import re
import textwrap

from twisted.trial import unittest

_FTPKIT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "ftpkit")

_FOREIGN = re.compile(r"(twisted|OpenSSL|fsspec|s3fs|sshfs)\b")

_STANDARD = frozenset({"_replace", "_asdict", "_fields", "_make", "_exit"})
"""Private-looking names the standard library documents as public."""


_TESTS = os.path.join(os.path.dirname(_FTPKIT), "tests")

_TESTS_STANDARD = frozenset({"_compile_pattern"})
"""Private names of the standard library tests read: C{fnmatch}'s pattern
cache, which C{test_globbing} shows ftpkit leaves alone."""


def _modules(top=_FTPKIT, skip=lambda relative, name: False):
    """
    @param top: the package's directory.
    @param skip: given a folder relative to C{top}'s parent and a file
        name, whether to leave that module out.
    @return: C{(dotted name, path)} of each module of the package at
        C{top}: by default C{ftpkit}, outside C{ftpkit/compat}.
    """
    found = []
    for folder, _, names in os.walk(top):
        relative = os.path.relpath(folder, os.path.dirname(top))
        if relative.split(os.sep)[:2] == ["ftpkit", "compat"]:
            continue
        for name in names:
            if name.endswith(".py") and not skip(relative, name):
                parts = relative.split(os.sep)
                if name != "__init__.py":
                    parts.append(name[:-3])
                found.append((".".join(parts), os.path.join(folder, name)))
    return sorted(found)


def _isCompatTest(relative, name):
    """
    @return: whether a test module checks the private names
        L{ftpkit.compat} uses, and so reads them
        (C{tests/integration/test_compat*.py}).
    """
    return relative == os.path.join("tests", "integration") and (
        name.startswith("test_compat"))


def _compatNames():
    """
    @return: the names C{ftpkit/compat}'s modules define at their top
        level: ftpkit's own, which tests may patch or read.
    """
    names = set()
    folder = os.path.join(_FTPKIT, "compat")
    for name in os.listdir(folder):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = getattr(node, "targets", [getattr(node, "target", None)])
                    names.update(target.id for target in targets
                                 if isinstance(target, ast.Name))
    return names


def _private(name):
    """
    @param name: a name.
    @return: whether it is private (one leading underscore, not a dunder).
    """
    return name.startswith("_") and not name.endswith("__")


def ownNames(trees):
    """
    @param trees: parsed modules.
    @return: every name those modules define or bind (functions, classes,
        attributes set, variables, arguments, imports, keywords).
    """
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(
                    node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[-1])
            elif isinstance(node, ast.keyword) and node.arg:
                names.add(node.arg)
    return names


def foreignReads(tree, own):
    """
    @param tree: a parsed module.
    @param own: the names ftpkit defines (L{ownNames}).
    @return: C{(line, text)} of each private name of another package it
        uses: an import of a private module or name of Twisted, pyOpenSSL
        or fsspec; C{x._name} or C{getattr(x, "_name")} of a name ftpkit
        does not define, on anything but C{self} and C{cls}.
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _FOREIGN.match(
                node.module):
            names = node.module.split(".") + [a.name for a in node.names]
            if any(_private(name) for name in names):
                found.append((node.lineno, f"from {node.module} import"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _FOREIGN.match(alias.name) and any(
                        _private(part) for part in alias.name.split(".")):
                    found.append((node.lineno, f"import {alias.name}"))
        elif (isinstance(node, ast.Attribute) and _private(node.attr)
                and node.attr not in own and node.attr not in _STANDARD
                and ast.unparse(node.value) not in ("self", "cls")):
            found.append((node.lineno, ast.unparse(node)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr",
                                     "delattr")
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and _private(node.args[1].value)
                and node.args[1].value not in own):
            found.append((node.lineno, ast.unparse(node)))
    return found


def _privatesOf(cls):
    """
    @param cls: a class of Twisted or pyOpenSSL.
    @return: the private names it defines: in its body, or set on
        C{self} in its methods.
    """
    names = {name for name in vars(cls) if _private(name)}
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return names
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(
                node.ctx, ast.Store) and _private(node.attr):
            names.add(node.attr)
    return names


def inheritedPrivates(module, tree):
    """
    @param module: an imported module.
    @param tree: its parsed source.
    @return: C{(line, text)} of each private name of a Twisted or
        pyOpenSSL base class that a class of the module sets, reads on
        C{self} or overrides.
    """
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(module, node.name, None)
        if not inspect.isclass(cls):
            continue
        theirs = {}
        for base in cls.__mro__[1:]:
            if _FOREIGN.match(base.__module__ or ""):
                for name in _privatesOf(base):
                    theirs.setdefault(name, base.__qualname__)
        for inner in ast.walk(node):
            name = None
            if isinstance(inner, ast.Attribute) and ast.unparse(
                    inner.value) in ("self", "cls"):
                name = inner.attr
            elif isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = inner.name
            elif isinstance(inner, ast.Name) and isinstance(
                    inner.ctx, ast.Store):
                name = inner.id
            if name in theirs:
                found.append((inner.lineno,
                              f"{node.name}: {theirs[name]}.{name}"))
    return found


class PrivateNamesTests(unittest.SynchronousTestCase):
    """
    Every module of C{ftpkit} outside C{ftpkit/compat}.
    """

    def test_nonOutsideCompat(self):
        """
        No module outside C{ftpkit.compat} uses a private name of Twisted,
        pyOpenSSL or fsspec.
        """
        modules = _modules()
        trees = {}
        for name, path in modules:
            with open(path, encoding="utf-8") as f:
                trees[name] = ast.parse(f.read())
        own = ownNames(trees.values())
        found = []
        for name, _ in modules:
            uses = foreignReads(trees[name], own)
            if name != "ftpkit.__main__":
                uses += inheritedPrivates(importlib.import_module(name),
                                          trees[name])
            found.extend(f"{name}:{line}: {text}" for line, text in uses)
        self.assertEqual(sorted(found), [])

    def test_noneInTests(self):
        """
        No test module but C{tests/integration/test_compat*.py} (which
        check the names L{ftpkit.compat} uses) uses a private name of
        Twisted, pyOpenSSL or fsspec either: they go through
        L{ftpkit.compat} or public names, so that a release renaming one
        breaks one module, not tests all over. Read from their source
        alone (importing every test module to look at their classes'
        bases takes minutes).
        """
        trees = {}
        for name, path in _modules() + _modules(_TESTS, _isCompatTest):
            with open(path, encoding="utf-8") as f:
                trees[name] = ast.parse(f.read())
        own = ownNames(trees.values()) | _compatNames() | _TESTS_STANDARD
        found = []
        for name, _ in _modules(_TESTS, _isCompatTest):
            found.extend(f"{name}:{line}: {text}"
                         for line, text in foreignReads(trees[name], own))
        self.assertEqual(sorted(found), [])

    def test_found(self):
        """
        An import of a private name, a read of one on another object, and
        a subclass of a Twisted class setting its private attribute, are
        found; C{self}'s own private names are not.
        """
        source = ("from twisted.internet._sslverify import x\n"
                  "from OpenSSL import SSL\n"
                  "SSL._lib.SSL_foo()\n"
                  "class Own:\n"
                  "    def f(self):\n"
                  "        self._mine = 1\n"
                  "        return self._mine\n")
        tree = ast.parse(source)
        self.assertEqual(
            foreignReads(tree, ownNames([tree])),
            [(1, "from twisted.internet._sslverify import"),
             (3, "SSL._lib")])
        from twisted.application import internet

        class Service(internet.StreamServerEndpointService):
            def __init__(self):
                self._raiseSynchronously = True

        module = type("module", (), {"Service": Service})
        tree = ast.parse(textwrap.dedent(inspect.getsource(Service)))
        self.assertEqual(
            [text for _, text in inheritedPrivates(module, tree)],
            ["Service: StreamServerEndpointService._raiseSynchronously"])
