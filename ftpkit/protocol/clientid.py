"""
What client and server tell each other of themselves: the name a client
gives with C{CLNT} (ProFTPD's) or C{CSID} (Serv-U's), the server's own in
C{CSID}'s form, and the language of replies (C{LANG}, RFC 2640). Pure:
text in, text out.
"""

import re

from ftpkit.errors import BadArgument, ParameterNotImplemented

CLIENT_NAME_LIMIT = 64
"""The most characters of a C{CLNT} name kept: it is the client's text,
shown on the operators' pages."""


def cleanClientName(arg):
    """
    The name a client gives itself with C{CLNT}, fit to show to
    operators: blanks collapsed, characters that are not printable
    (controls, surrogates of bytes that were not UTF-8) replaced by
    C{"?"}, and cut to L{CLIENT_NAME_LIMIT} characters.

    @param arg: the argument of C{CLNT}.
    @return: the cleaned name.
    @raise BadArgument: if nothing is left of it.
    """
    name = "".join(char if char.isprintable() else "?"
                   for char in " ".join(arg.split())[:CLIENT_NAME_LIMIT])
    if not name:
        raise BadArgument("Syntax: CLNT <client name>")
    return name


CSID_IDENTITY = "Name=ftpkit; CaseSensitive=1; DirSep=/;"
"""What C{CSID} tells of the server, in the form Serv-U gives it (no
version: the C{220} greeting is the operator's choice, and so is telling
a version)."""


def parseCSID(arg):
    """
    The name a client gives itself with C{CSID} (Serv-U's, which WinSCP
    sends where C{FEAT} lists it: C{Name=WinSCP; Version=6.3.5;}), as
    C{CLNT} would give it (C{"WinSCP 6.3.5"}), cleaned
    (L{cleanClientName}). Facts are C{key=value} pairs ended by C{;},
    keys in any case; only C{Name} and C{Version} are kept.

    @param arg: the argument of C{CSID}.
    @return: the cleaned name.
    @raise BadArgument: if it gives no C{Name} (nor C{Version}).
    """
    facts = {}
    for part in arg.split(";"):
        key, equals, value = part.partition("=")
        if equals:
            facts.setdefault(key.strip().upper(), value.strip())
    name = " ".join(value for value in (facts.get("NAME"),
                                         facts.get("VERSION")) if value)
    if not name.strip():
        raise BadArgument("Syntax: CSID Name=<client>; Version=<version>;")
    return cleanClientName(name)


LANGUAGE = "EN"
"""The language of every reply: the only one C{LANG} accepts."""

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*", re.ASCII)


def parseLANG(arg):
    """
    Check the argument of C{LANG} (RFC 2640 section 4.1): none asks for
    the server's default language, a language tag (RFC 1766) for that
    language; a tag whose primary part is L{LANGUAGE} (C{EN}, C{en-US},
    C{EN-GB}...) names the one ftpkit replies in.

    @param arg: the argument text.
    @return: L{LANGUAGE}.
    @raise BadArgument: for text that is not a language tag.
    @raise ParameterNotImplemented: for any other language.
    """
    tag = arg.strip()
    if not tag:
        return LANGUAGE
    if _LANGUAGE_TAG.fullmatch(tag) is None:
        raise BadArgument("Syntax: LANG [<language tag>]")
    if tag.partition("-")[0].upper() != LANGUAGE:
        raise ParameterNotImplemented("Language %s not supported" % tag)
    return LANGUAGE
