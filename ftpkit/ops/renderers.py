"""
C{format.format_map(fields)} for log formats, made cheaply: C{str.format}
parses the format string again for every line, cuts each field's name out
of it as a new string and hashes that to find the field; here a format is
parsed once and compiled into a function that reads its fields with
constant keys and joins the pieces as an f-string does.

Only formats whose fields are plain names are compiled (no C{{a.b}},
C{{a[0]}}, C{{0}} or nested C{{}} in a spec); the rest, and the formats
past L{RENDERERS_KEPT}, are left to C{format_map} (L{renderer} says which).
What the format says enters the compiled code only as values: its text,
field names and specs are constants of the function, never its source.
"""

from string import Formatter

_formatter = Formatter()

RENDERERS_KEPT = 500
"""Format strings whose renderers are kept (log formats are constants in
the code that logs; more than this many means they are made up per
event, and the renderers start again)."""

_CONVERSIONS = {None: "", "r": "!r", "s": "!s", "a": "!a"}

kept = {}
"""The renderers made so far, by format (C{None} for a format that has
none): L{renderer} fills it; a caller on a hot path may look a format up
here first, without the call."""


def compileFormat(format):
    """
    @param format: a C{str.format} format string.
    @return: a function of one mapping returning what
        C{format.format_map(mapping)} returns (and raising what it raises
        for a missing field or a bad spec), or C{None} when the format is
        not one this compiles (see the module's docstring) or is not a
        valid format at all.
    """
    try:
        parsed = list(_formatter.parse(format))
    except ValueError:
        return None
    names = {}
    pieces = []
    for text, name, spec, conversion in parsed:
        if text:
            names["t%d" % len(names)] = text
            pieces.append("{t%d}" % (len(names) - 1))
        if name is None:
            continue
        if (not name.isidentifier() or "{" in spec or "}" in spec
                or conversion not in _CONVERSIONS):
            return None
        key = "k%d" % len(names)
        names[key] = name
        field = "m[%s]%s" % (key, _CONVERSIONS[conversion])
        if spec:
            names["s%d" % len(names)] = spec
            field += ":{s%d}" % (len(names) - 1)
        pieces.append("{%s}" % field)
    source = 'def render(m):\n    return f"%s"\n' % "".join(pieces)
    namespace = dict(names)
    exec(compile(source, "<log format>", "exec"), namespace)
    return namespace["render"]


def renderer(format):
    """
    @param format: a log format string.
    @return: its compiled renderer (L{compileFormat}), made once per
        format; C{None} when it has none (then use C{format_map}).
    """
    try:
        return kept[format]
    except KeyError:
        pass
    if len(kept) >= RENDERERS_KEPT:
        kept.clear()
    render = kept[format] = compileFormat(format)
    return render


def prepare(formats):
    """
    Make the renderers of C{formats} now, at start-up, rather than on the
    first line of each: compiling one costs more than a whole login, and
    the server's first login paid for its login and logout lines (the
    counts are in C{docs/benchmark-history.rst}, "Logins per second: the first
    login and the 1,000").

    @param formats: log format strings.
    """
    for format in formats:
        renderer(format)
