"""
The docstring rule: every module of C{ftpkit} and of its C{twistd} plugin
(C{twisted/plugins}), and every public function,
class and method in it, has a docstring, in epytext: C{@param} for each
parameter and C{@return} when it returns something.
"""

import ast
import os
import re

from twisted.trial import unittest

_CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

_CHECKED = (os.path.join(_CHECKOUT, "ftpkit"),
            os.path.join(_CHECKOUT, "twisted", "plugins"))
"""The folders whose modules follow the rule: C{ftpkit}, and the
C{twistd} plugin that ships with it (the examples are tutorials, shown
in the docs as short as they are, and C{bench} is tooling)."""

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


_CONVENTIONS = re.compile(r"(test|opt|ftp|render)_")
"""Methods whose parameters a convention documents once: trial's tests,
C{twistd}'s options (their docstring is the C{--help} text), ftpkit's
C{ftp_VERB} handlers (L{ftpkit.control.handlers}) and C{twisted.web}'s
C{render_METHOD}."""


def _pointsToDeclaration(name, docstring):
    """
    @param name: a method's name.
    @param docstring: its docstring.
    @return: whether it documents the method by pointing to where it is
        declared (C{See L{IConsumer.write}}, C{@see: L{...write}}), whose
        docstring gives its parameters.
    """
    return (docstring.startswith("See L{") or re.search(
        r"(?i)\bsee:?\s+L\{[\w.]*\b" + re.escape(name) + r"\}", docstring)
        is not None)


def _returnsValue(function):
    """
    @param function: a function's node.
    @return: whether a C{return} of its own (not of a function or lambda
        inside it) gives a value other than C{None}.
    """
    pending = list(ast.iter_child_nodes(function))
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant)
                and node.value.value is None):
            return True
        pending.extend(ast.iter_child_nodes(node))
    return False


def unfielded(source, name="<source>"):
    """
    The public functions and methods of a module whose docstring lacks an
    epytext field it needs.

    @param source: the module's text.
    @param name: the module's name in what is returned.
    @return: a C{list} of C{"name:line: function: field"} texts, one for
        each parameter with no C{@param} (or C{@keyword}), and one for a
        function returning a value with no C{@return}: properties, the
        methods of L{_CONVENTIONS}, and methods that point to their
        declaration (L{_pointsToDeclaration}) are left out.
    """
    missing = []
    pending = [(ast.parse(source), "")]
    while pending:
        node, prefix = pending.pop()
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _DEFINITIONS) or child.name.startswith("_"):
                continue
            if isinstance(child, ast.ClassDef):
                pending.append((child, prefix + child.name + "."))
                continue
            docstring = ast.get_docstring(child) or ""
            if (_CONVENTIONS.match(child.name)
                    or _pointsToDeclaration(child.name, docstring)
                    or any(isinstance(d, ast.Name) and d.id == "property"
                           for d in child.decorator_list)):
                continue
            where = f"{name}:{child.lineno}: {prefix}{child.name}"
            arguments = child.args
            names = [a.arg for a in arguments.posonlyargs + arguments.args
                     + arguments.kwonlyargs]
            names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a]
            for argument in names:
                if argument not in ("self", "cls") and not re.search(
                        r"@(param|keyword)\s+" + re.escape(argument) + r"\b",
                        docstring):
                    missing.append(f"{where}: @param {argument}")
            if _returnsValue(child) and "@return" not in docstring:
                missing.append(f"{where}: @return")
    return sorted(missing)


def strayDocstrings(source, name="<source>"):
    """
    The strings of a module that document nothing: a string statement
    right after another one, as when a name was put between a constant
    and the docstring under it (the constant's docstring then stands
    after the other's, saying nothing of either).

    @param source: the module's text.
    @param name: the module's name in what is returned.
    @return: a C{list} of C{"name:line"} texts, one for each such string.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for before, after in zip(body, body[1:]):
            if _isString(before) and _isString(after):
                found.append(f"{name}:{after.lineno}")
    return sorted(found)


def _isString(statement):
    """
    @param statement: a statement's node.
    @return: whether it is a string standing alone (a docstring).
    """
    return (isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def _everyModule(check):
    """
    Run a check on every module of L{_CHECKED}.

    @param check: L{undocumented}, L{unfielded} or L{strayDocstrings}.
    @return: what it found in all of them, in one C{list}.
    """
    found = []
    for top in _CHECKED:
        for folder, _, names in os.walk(top):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, encoding="utf-8") as f:
                        found.extend(check(f.read(),
                                           os.path.relpath(path, _CHECKOUT)))
    return found


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


class UnfieldedTests(unittest.SynchronousTestCase):
    """
    L{unfielded}.
    """

    def test_found(self):
        """
        A parameter without C{@param}, and a value returned without
        C{@return}, are listed.
        """
        source = ('def f(a, b):\n    """\n    @param a: A.\n    """\n'
                  "    return a\n")
        self.assertEqual(unfielded(source, "m"),
                         ["m:1: f: @param b", "m:1: f: @return"])

    def test_leftOut(self):
        """
        C{None} returned, a nested function's return, a method pointing to
        its declaration, a property and C{ftp_VERB} need no field.
        """
        source = ("def f():\n    '''F.'''\n    def g():\n        return 1\n"
                  "    return None\n"
                  "class C:\n    '''C.'''\n"
                  "    def write(self, data):\n"
                  "        '''See L{IConsumer.write}.'''\n"
                  "    def close(self, how):\n"
                  "        '''Refuse: see L{IFile.close}.'''\n"
                  "        return 1\n"
                  "    @property\n    def size(self):\n"
                  "        '''Size.'''\n        return 1\n"
                  "    def ftp_NOOP(self, argument):\n"
                  "        '''NOOP.'''\n        return (200, 'OK')\n")
        self.assertEqual(unfielded(source), [])


class StrayDocstringsTests(unittest.SynchronousTestCase):
    """
    L{strayDocstrings}.
    """

    def test_found(self):
        """
        A constant's docstring pushed below another's is listed, in a
        module or a class; a docstring each is not.
        """
        source = ('"""M."""\nA = 1\n"""A."""\n'
                  'C = 3\nD = 4\n"""D."""\n"""C, lost."""\n'
                  'class K:\n    """K."""\n    """Lost."""\n')
        self.assertEqual(strayDocstrings(source, "m"), ["m:10", "m:7"])


class FtpkitDocstringTests(unittest.SynchronousTestCase):
    """
    Every module under C{ftpkit/} and C{twisted/plugins/}.
    """

    def test_everyPublicThingDocumented(self):
        """
        No module lacks a docstring, and no public function, class or
        method does.
        """
        self.assertEqual(_everyModule(undocumented), [])

    def test_everyParameterAndReturnDocumented(self):
        """
        No public function or method lacks C{@param} for a parameter or
        C{@return} for what it returns (L{unfielded}).
        """
        self.assertEqual(_everyModule(unfielded), [])

    def test_noStrayDocstrings(self):
        """
        No docstring stands under another's, documenting nothing
        (L{strayDocstrings}).
        """
        self.assertEqual(_everyModule(strayDocstrings), [])
