"""
Options that take one value refuse a second: given twice (a unit file's
line and a drop-in's, a script's default and its caller's), the last one
won, and the first was dropped without a word (C{--metrics} served on one
endpoint of the two). L{refuseRepeats} makes that a usage error naming
the option; options that gather their values (C{--listen}, C{--auth},
C{--allow-from}...) are left as they are. The handlers are replaced in
the parser's table of them (L{ftpkit.compat.optionHandlers}).
"""

from twisted.python import usage
from twisted.python.usage import CoerceParameter

from ftpkit.compat import optionHandlers

HANDLED_ONCE = ("root", "tls-cert", "tls-key")
"""The options with handlers of their own (C{opt_} methods) that keep one
value; every C{optParameters} option keeps one too."""


def singleValued(options):
    """
    @param options: a L{usage.Options}, initialised.
    @return: the names of its options that keep one value: its parameters
        and L{HANDLED_ONCE}, those it has (none where this Twisted's
        parser keeps its handlers out of reach).
    """
    handlers = optionHandlers(options) or {}
    return sorted(
        name for name, handler in handlers.items()
        if isinstance(handler, CoerceParameter) or name in HANDLED_ONCE)


def refuseRepeats(options):
    """
    Make each option of C{options} that keeps one value (L{singleValued})
    refuse to be given again in the same parse.

    @param options: a L{usage.Options}, initialised.
    @return: those options' names.
    """
    given = set()
    names = singleValued(options)
    handlers = optionHandlers(options)
    for name in names:
        handlers[name] = _once(name, handlers[name], given)
    return names


def _once(name, handler, given):
    """
    @param name: an option's long name.
    @param handler: its handler in the options' dispatch table.
    @param given: the names given so far in this parse, shared by every
        option of one L{usage.Options}.
    @return: a handler calling C{handler} the first time, and raising
        L{usage.UsageError} naming the option after.
    """
    def handle(option, value):
        if name in given:
            raise usage.UsageError(
                f"--{name}: given twice (it takes one value; the last one "
                "would have replaced the first)")
        given.add(name)
        if isinstance(handler, CoerceParameter):
            handler.dispatch(option, value)
        else:
            handler(option, value)
    return handle
