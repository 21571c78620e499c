"""
L{ftpkit.protocol.replies.REPLY_CODES} holds every code ftpkit's sessions
reply with, and no other: the metrics make one C{ftpkit_replies_total}
series of each at 0 at start.
"""

import ast
import os

from twisted.trial import unittest

import ftpkit
from ftpkit.protocol.replies import REPLY_CODES

SENDING = ("control", "protocol", "data", "shells", "auth", "errors.py")
"""The parts of ftpkit that reply to sessions, below its package."""

_REPLYING = ("reply", "formatReply")


def _isCode(node):
    """
    @param node: an AST node.
    @return: whether it is an integer constant a reply code could be.
    """
    return (isinstance(node, ast.Constant) and type(node.value) is int
            and 100 <= node.value <= 599)


def _isText(node):
    """
    @param node: an AST node.
    @return: whether it may be a reply's text (anything but a constant
        that is not a string).
    """
    return not isinstance(node, ast.Constant) or isinstance(node.value, str)


def sentCodes(tree):
    """
    @param tree: a module's AST.
    @return: the reply codes it sends: the first of each C{(code, text)}
        a handler returns, the first argument of C{reply} and
        C{formatReply} calls, and an error class's C{code = ...}.
    """
    codes = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Tuple) and len(node.elts) == 2
                and _isCode(node.elts[0]) and _isText(node.elts[1])):
            codes.add(node.elts[0].value)
        elif (isinstance(node, ast.Call) and node.args
              and _isCode(node.args[0])
              and getattr(node.func, "attr", getattr(node.func, "id", None))
              in _REPLYING):
            codes.add(node.args[0].value)
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (isinstance(statement, ast.Assign)
                        and _isCode(statement.value)
                        and any(getattr(target, "id", None) == "code"
                                for target in statement.targets)):
                    codes.add(statement.value.value)
    return codes


def modules():
    """
    @return: the paths of the Python modules of L{SENDING}.
    """
    package = os.path.dirname(ftpkit.__file__)
    for part in SENDING:
        path = os.path.join(package, part)
        if path.endswith(".py"):
            yield path
            continue
        for directory, _, names in os.walk(path):
            yield from (os.path.join(directory, name) for name in names
                        if name.endswith(".py"))


class ReplyCodesTests(unittest.TestCase):
    """
    L{REPLY_CODES} against the code that replies.
    """

    def test_sentCodesListed(self):
        """
        Every code the modules reply with is in L{REPLY_CODES}, and every
        code there is one they reply with.
        """
        sent = set()
        for path in modules():
            with open(path, encoding="utf-8") as f:
                sent |= sentCodes(ast.parse(f.read(), path))
        self.assertEqual(sorted(sent), sorted(REPLY_CODES))

    def test_sentCodes(self):
        """
        L{sentCodes} finds the forms of a reply.
        """
        tree = ast.parse(
            "def a(self):\n"
            "    self.reply(150, 'go')\n"
            "    return (257, quote(path))\n"
            "class E(FTPError):\n"
            "    code = 553\n"
            "LIMIT = (200, 300)\n"
            "SIZE = 255\n")
        self.assertEqual(sentCodes(tree), {150, 257, 553})

    def test_sorted(self):
        """
        L{REPLY_CODES} is sorted, each code once.
        """
        self.assertEqual(list(REPLY_CODES), sorted(set(REPLY_CODES)))
