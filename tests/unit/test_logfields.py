"""
The fields of ftpkit's log lines are values C{--log-format json} can
write: no exception given as a field (written as C{{"unpersistable":
true}}, so a log shipper never saw why something failed), only its text.
"""

import ast
import os

from twisted.trial import unittest

import ftpkit

LEVELS = frozenset(["debug", "info", "warn", "error", "critical"])
"""The C{Logger} methods that log a line with fields."""


def _exceptionNames(stack):
    """
    @param stack: the nodes enclosing a call, outermost first.
    @return: the names the enclosing C{except ... as NAME} clauses bind.
    """
    return {node.name for node in stack
            if isinstance(node, ast.ExceptHandler) and node.name}


def exceptionFields(tree):
    """
    @param tree: a module's syntax tree.
    @return: C{(line, field)} of each log call's keyword argument that is
        an exception: a name an enclosing C{except} binds, or a
        C{Failure}'s C{.value}.
    """
    found = []

    def visit(node, stack):
        if (isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LEVELS):
            caught = _exceptionNames(stack)
            for keyword in node.keywords:
                value = keyword.value
                if ((isinstance(value, ast.Name) and value.id in caught)
                        or (isinstance(value, ast.Attribute)
                            and value.attr == "value")):
                    found.append((node.lineno, keyword.arg))
        for child in ast.iter_child_nodes(node):
            visit(child, stack + [node])

    visit(tree, [])
    return found


class LogFieldTests(unittest.TestCase):
    """
    No log call of ftpkit's gives an exception as a field.
    """

    def test_finds(self):
        """
        L{exceptionFields} finds both kinds, and not their text.
        """
        tree = ast.parse(
            "try:\n    pass\nexcept OSError as e:\n"
            "    log.warn('{error}', error=e)\n"
            "    log.warn('{error}', error=str(e))\n"
            "log.error('{why}', why=failure.value)\n")
        self.assertEqual(exceptionFields(tree), [(4, "error"), (6, "why")])

    def test_noExceptionFields(self):
        """
        ftpkit's modules give none: C{accept failed}, C{could not adopt a
        connection}, C{--on-upload command ... could not start} and
        others held the exception.
        """
        top = os.path.dirname(ftpkit.__file__)
        found = []
        for directory, _, names in os.walk(top):
            for name in sorted(names):
                if name.endswith(".py"):
                    path = os.path.join(directory, name)
                    with open(path, encoding="utf-8") as f:
                        tree = ast.parse(f.read(), path)
                    found.extend((os.path.relpath(path, top), line, field)
                                 for line, field in exceptionFields(tree))
        self.assertEqual(found, [])
