"""
Truth values as operators write them: the one place the options of a
store (C{--realm fsspec:URL?NAME=VALUE}, its config file's C{[options]})
and of a C{--listen} endpoint (C{unix:}'s C{lockfile}) read a yes or a
no. Each took its own spellings: C{global_store=TRUE} was taken and
C{global_store=1} refused, while Twisted read C{lockfile=1} and refused
C{lockfile=true}.
"""

TRUE_WORDS = ("1", "true", "yes", "on")
"""What is read as true, in any case."""

FALSE_WORDS = ("0", "false", "no", "off")
"""What is read as false, in any case."""

SPELLINGS = "1/0, true/false, yes/no or on/off"
"""The spellings, for a usage error."""


def truthValue(value):
    """
    @param value: a C{bool}; the C{int} C{1} or C{0} (a query's digits
        already read as a number, or a TOML integer); or a text.
    @return: C{True} or C{False}, or C{None} when C{value} is none of
        L{TRUE_WORDS} and L{FALSE_WORDS} (C{2}, C{"maybe"}, C{""}).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {1: True, 0: False}.get(value)
    if not isinstance(value, str):
        return None
    lowered = value.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None
