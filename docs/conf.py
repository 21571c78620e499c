"""
Sphinx configuration of the ftpkit documentation.

The API reference (api.rst) comes from the docstrings, written in epytext
like Twisted's; L{epytextToRest} turns their markup into reStructuredText
as autodoc reads them. Autodoc alone skips zope interfaces without a
warning; C{sphinxcontrib.zopeext.autointerface} documents them (and
tests/integration/test_docs.py checks that every one is on the page).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ftpkit  # noqa: E402

project = "ftpkit"
author = "the ftpkit authors"
copyright = "the ftpkit authors"  # noqa: A001
version = release = ftpkit.__version__

extensions = ["sphinx.ext.autodoc", "sphinxcontrib.zopeext.autointerface"]
exclude_patterns = ["_build"]
html_theme = "alabaster"

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}

_FIELDS = re.compile(
    r"^(\s*)@(param|type|return|returns|rtype|raise|raises|ivar|cvar|var)"
    r"(\s+[^:]*)?:")
_FIELD_NAMES = {"return": "returns", "raise": "raises"}
_INLINE = re.compile(r"([CLIB])\{([^{}]*)\}")
# Markup followed by a letter (L{Shell}s) needs an escaped space in RST.
_GLUED = re.compile(r"(``[^`\s](?:[^`]*[^`\s])?``|\*[^*\s][^*]*\*)(?=\w)")


def _inline(match):
    """
    @return: the reStructuredText for one epytext C{X{...}} markup.
    """
    kind, text = match.groups()
    if not text:
        return ""
    if kind == "I":
        return f"*{text}*"
    if kind == "B":
        return f"**{text}**"
    return f"``{text}``"


def epytextToRest(app, what, name, obj, options, lines):
    """
    Rewrite epytext fields (C{@param x:}) and markup (C{C{...}},
    C{L{...}}) as reStructuredText, in place.
    """
    for index, line in enumerate(lines):
        line = _FIELDS.sub(
            lambda m: f"{m.group(1)}:{_FIELD_NAMES.get(m.group(2), m.group(2))}"
                      f"{m.group(3) or ''}:",
            line)
        previous = None
        while previous != line:
            previous, line = line, _INLINE.sub(_inline, line)
        lines[index] = _GLUED.sub(r"\1\\ ", line)


def setup(app):
    """
    Register L{epytextToRest}.
    """
    app.connect("autodoc-process-docstring", epytextToRest)
