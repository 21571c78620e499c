"""
The argument of C{MFF} (draft-somers-ftp-mfxx: Modify Fact: Facts), as a
pure function: which facts to set on which path.

Only the facts ftpkit can set are known: C{modify} (what C{MFMT} sets)
and C{UNIX.mode} (what C{SITE CHMOD} sets). Any other is refused with
C{504} before anything changes, as is C{create} (C{MFCT}'s fact): no shell
can set a creation time.
"""

import re

from ftpkit.errors import BadArgument, ParameterNotImplemented
from ftpkit.protocol.timevals import parseTimeval

MODIFY = "modify"
"""The modification time fact: its value is seconds since the epoch."""
UNIX_MODE = "unix.mode"
"""The permission bits fact: its value is a mode from C{0} to C{0o777}."""

FEATURE = "MFF modify;UNIX.mode;"
"""The C{FEAT} line of C{MFF} where it sets every fact it knows."""

MFF_SYNTAX = "Syntax: MFF fact=value;[fact=value;]... <path>"
"""The C{501} text of an C{MFF} whose argument does not parse."""

_MODE = re.compile(r"[0-7]{1,5}", re.ASCII)


def _parseMode(text):
    """
    @param text: octal digits.
    @return: the mode.
    @raise BadArgument: for anything but octal digits, or a mode with
        set-id or sticky bits, which C{SITE CHMOD} refuses too.
    """
    if _MODE.fullmatch(text) is None or int(text, 8) > 0o777:
        raise BadArgument("UNIX.mode must be an octal mode up to 777")
    return int(text, 8)


def _parseTime(text):
    """
    @param text: an RFC 3659 time value.
    @return: seconds since the epoch.
    @raise BadArgument: if it is not one.
    """
    try:
        return parseTimeval(text)
    except BadArgument:
        raise BadArgument("modify must be YYYYMMDDHHMMSS[.sss]") from None


_PARSERS = {MODIFY: _parseTime, UNIX_MODE: _parseMode}


def parseMFF(arg):
    """
    Parse the argument of C{MFF}: facts (each C{name=value;}, names in
    any case), one space, a path (which keeps its spaces).

    @param arg: the argument text.
    @return: C{(changes, pathText)}: C{changes} a tuple of C{(fact,
        value)} in the order given, C{fact} L{MODIFY} or L{UNIX_MODE}.
    @raise BadArgument: for no path, no fact, a fact without C{=} or given
        twice, or a value that does not parse.
    @raise ParameterNotImplemented: for a fact ftpkit cannot set (checked
        after the syntax, before any value), so that nothing is changed.
    """
    factsText, _, pathText = arg.partition(" ")
    if not pathText or not factsText.endswith(";"):
        raise BadArgument(MFF_SYNTAX)
    pairs = []
    for item in factsText[:-1].split(";"):
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise BadArgument(MFF_SYNTAX)
        pairs.append((name.lower(), name, value))
    names = [name for name, _, _ in pairs]
    if len(set(names)) != len(names):
        raise BadArgument("A fact is given twice")
    for name, given, _ in pairs:
        if name not in _PARSERS:
            raise ParameterNotImplemented("Cannot modify fact '%s'" % given)
    return tuple((name, _PARSERS[name](value))
                 for name, _, value in pairs), pathText


def factName(fact):
    """
    @param fact: L{MODIFY} or L{UNIX_MODE}.
    @return: its name as replies and C{FEAT} spell it.
    """
    return "UNIX.mode" if fact == UNIX_MODE else fact


def featureLine(settable):
    """
    @param settable: the facts the session can set (L{MODIFY},
        L{UNIX_MODE}).
    @return: the C{FEAT} line of C{MFF} naming them, or C{None} when it
        can set none.
    """
    if not settable:
        return None
    return "MFF " + formatChanges(
        (name, None) for name in (MODIFY, UNIX_MODE) if name in settable)


STORAGE = "storage"
"""Why a fact cannot be set: the session's storage cannot set it."""
UNGRANTED = "ungranted"
"""Why: the user's permissions grant setting it nowhere (a users file's
C{set-time}, C{chmod})."""
SWITCHED_OFF = "switched off"
"""Why: the server lets nobody set it (C{--no-site-chmod})."""

_ACTIONS = {MODIFY: "set times", UNIX_MODE: "change modes"}

_REASONS = ((STORAGE, "this storage cannot {}"),
            (UNGRANTED, "you may {} nowhere"),
            (SWITCHED_OFF, "this server lets nobody {}"))


def refusalText(refusals):
    """
    Why a session cannot set a command's facts, as C{HELP} of the command
    says it (C{MFMT}: C{modify}; C{MFF}: both), each fact with its own
    reason: a storage that cannot set times may still leave modes to the
    user's permissions.

    @param refusals: C{{fact: reason}} for the facts the command sets,
        each reason L{STORAGE}, L{UNGRANTED} or L{SWITCHED_OFF}.
    @return: the reasons, those of the same kind together
        (C{"this storage cannot set times; you may change modes
        nowhere"}).
    """
    clauses = []
    for reason, clause in _REASONS:
        actions = [_ACTIONS[fact] for fact in (MODIFY, UNIX_MODE)
                   if refusals.get(fact) == reason]
        if actions:
            clauses.append(clause.format(" or ".join(actions)))
    return "; ".join(clauses)


def formatChanges(changes):
    """
    The facts an C{MFF} set, as its C{213} reply gives them.

    @param changes: C{(fact, text)} pairs, C{text} the value formatted,
        or C{None} to name the fact alone (as C{FEAT} does).
    @return: C{"modify=...;UNIX.mode=...;"}.
    """
    return "".join(factName(name) + ("" if text is None else "=" + text) + ";"
                   for name, text in changes)
