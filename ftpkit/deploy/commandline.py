"""
How C{twistd ftpkit} and C{python -m ftpkit} behave as programs
(L{CommandLineMixin}, for L{ftpkit.deploy.tap.Options}): the usage line
each shows, C{--help} wrapped paragraph by paragraph, C{--version}, a bad
option as one line (L{usageErrorLine}) and exit status 1, help nobody
reads (L{helpNotRead}), and the signals held from the parse on. Which
options there are, and what they configure, is L{ftpkit.deploy.tap}'s.
"""

import os
import sys
import textwrap

from twisted.python import usage

from ftpkit.deploy.optionvalues import helpWidth
from ftpkit.deploy.startinterrupt import interruptQuietly
from ftpkit.deploy.startsignals import holdStartSignals
from ftpkit.deploy.twistdids import misplacedOption
from ftpkit.ops.logformat import underTwist
from ftpkit.ops.unblockedlog import writeNow


def usageErrorLine(program, error):
    """
    Format a usage error as one line.

    @param program: how the command was run (C{sys.argv[0]}:
        C{"twistd"}, C{"ftpkit"} for C{python -m ftpkit}, or
        C{twisted/__main__.py} for C{python -m twisted}, which the line
        names as that command rather than C{__main__.py}).
    @param error: the L{usage.UsageError}, naming the option and why.
    @return: the line, ending in a newline.
    """
    name = os.path.basename(program)
    if name == "__main__.py":
        package = os.path.basename(os.path.dirname(program))
        name = f"python -m {package}"
    if name != "ftpkit":
        name += " ftpkit"
    return f"{name}: {error} (see --help)\n"


class StandardErrorNow:
    """
    Standard error for the lines a server writes as it starts (a usage
    error, a warning), written without waiting for its reader
    (L{writeNow}): on a standard error nobody reads, its pipe full (a
    supervisor's), a server given a bad option waited on the write for
    good instead of exiting 1; the line is then lost.
    """

    def write(self, text):
        """
        @param text: the line(s).
        """
        writeNow(sys.stderr.fileno(), text.encode("utf-8", "replace"))


def oneLine(doc):
    """
    Join an option's help onto one line: C{--help} wraps it with
    L{textwrap}, which turns each newline and indentation of a multi-line
    C{opt_} docstring into a run of spaces in the middle of the text.

    @param doc: the help text, or L{None}.
    @return: C{doc} with each run of whitespace made one space.
    """
    return " ".join(doc.split()) if doc else doc


class CommandLineMixin:
    """
    The program's side of a L{usage.Options} subclass: it mixes in before
    L{usage.Options}, and gives C{paragraphs} (what C{--help} says after
    the options, a paragraph each) and C{errorOutput} (where a usage error
    is written under C{twistd}).
    """

    def getSynopsis(self):
        """
        @return: the usage line of C{--help}: C{python -m ftpkit}'s own
            when run by it (it said C{Usage: twistd [options] ftpkit
            [options]}, which no one had typed), else C{twistd}'s.
        """
        if (getattr(self, "parent", None) is not None
                and os.path.basename(sys.argv[0]) == "ftpkit"):
            return "Usage: python -m ftpkit [options]"
        return usage.Options.getSynopsis(self)

    def opt_version(self):
        """Display ftpkit's version and Twisted's, and exit."""
        import ftpkit
        from twisted import copyright

        print(f"ftpkit {ftpkit.__version__} (Twisted {copyright.version})")
        raise SystemExit(0)

    def getUsage(self, width=None):
        """
        Twisted's help, then C{paragraphs}, each wrapped on its own
        (Twisted wraps C{longdesc} as one paragraph, running them together).

        @param width: the columns to wrap to [default: L{helpWidth}].
        @return: the help text after the synopsis.
        """
        width = width or helpWidth()
        paragraphs = ["\n".join(textwrap.wrap(p, width)) for p in self.paragraphs]
        return (usage.Options.getUsage(self, width) + "\n"
                + "\n\n".join(paragraphs) + "\n")

    def parseOptions(self, options=None):
        """
        Parse, remembering the arguments (workers are started with them).

        Run by C{twistd} (as its C{ftpkit} subcommand), a bad option ends
        the process here with one line on standard error (C{twistd}
        itself would print the whole help first) and exit status 1, and
        C{SIGHUP} is held from here on until the service handles it (a
        C{systemctl reload} right after the start ended the server), and
        C{SIGUSR2}, which ftpkit does not use, ignored for good; C{SIGUSR1}
        is blocked until the service starts (L{KeepOnRotation}), and
        C{SIGQUIT} until the reactor runs (L{holdStartSignals}). Help read
        through a pager or C{head} that stops reading ends the process
        quietly (L{helpNotRead}), not with a C{BrokenPipeError} traceback;
        help that cannot be written at all, with one line saying why.

        @param options: the arguments, C{sys.argv[1:]} when C{None}.
        @raise usage.UsageError: naming the bad option, when not run by
            C{twistd}.
        """
        self.argv = list(sys.argv[1:] if options is None else options)
        if getattr(self, "parent", None) is not None:
            # The server starts: SIGHUP, SIGUSR1 and SIGQUIT held until
            # the service handles them, SIGUSR2 ignored (the plugin did
            # so already, when twistd chose it; python -m ftpkit too).
            holdStartSignals()
            if isinstance(self.parent, dict) and (self.parent.get(
                    "nodaemon") or underTwist(self.parent)):
                # Ctrl-C while it starts (twistd -n, or python -m
                # twisted, always in the foreground): one line, not a
                # traceback, and the pid file twistd wrote removed.
                interruptQuietly(self.parent.get("pidfile"))
        try:
            usage.Options.parseOptions(self, options)
        except usage.UsageError as e:
            if getattr(self, "parent", None) is None:
                raise
            program = os.path.basename(sys.argv[0])
            moved = misplacedOption(str(e), self.parent, program, self)
            if moved is not None:
                e = usage.UsageError(moved)
            self.errorOutput.write(usageErrorLine(sys.argv[0], e))
            raise SystemExit(1)
        except BrokenPipeError:
            helpNotRead()
        except OSError as e:
            # The help or version found its output unwritable (a full
            # disk, /dev/full): one line, not a traceback.
            helpNotRead(f"{os.path.basename(sys.argv[0])}: cannot write "
                        f"to standard output: {e.strerror or e}\n")


def helpNotRead(why=""):
    """
    End the process after what it wrote to standard output (C{--help},
    C{--help-realms}...) found nobody reading, or could not be written, as
    Python's documentation advises: standard output goes to C{/dev/null},
    so that flushing it at exit fails no more, and the exit status is 1.

    @param why: a line for standard error (nothing for a reader that
        stopped reading: a pager quit early, C{head}).
    @raise SystemExit: always.
    """
    sys.stderr.write(why)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    raise SystemExit(1)
