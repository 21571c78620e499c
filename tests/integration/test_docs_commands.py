"""
The command lines the operator's pages give (README, C{docs/*.rst} but
the benchmark pages, C{docs/recipes/*.sh}) are ones the server takes, and
the usage errors they quote are the lines it prints: operators copy both.
"""

import glob
import io
import os
import re
import shlex
import shutil
import sys

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth import passwd
from ftpkit.auth.passwordhash import hashPassword
from ftpkit.auth.usersfile import UsersFileError, parseUsers
from ftpkit.deploy.tap import Options, usageErrorLine
from tests.integration.test_docs import DOCS, literalBlockAfter
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate
from tests.twistdrun import SOURCE, runPython


def operatorPages():
    """
    @return: the paths of the pages an operator copies commands from.
    """
    pages = [os.path.join(SOURCE, "README.md")]
    pages.extend(sorted(
        path for path in glob.glob(os.path.join(DOCS, "*.rst"))
        if not os.path.basename(path).startswith("benchmark")))
    pages.extend(sorted(glob.glob(os.path.join(DOCS, "recipes", "*.sh"))))
    return pages


def twistdCommands(text):
    """
    @param text: a page.
    @return: its C{twistd ... ftpkit ...} command lines (on a line of
        their own, after C{&&}, or a systemd unit's C{ExecStart=}; the
        tutorials' C{PYTHONPATH=examples} kept before them), each
        with its continuation lines (a trailing backslash) joined; not the
        usage errors it quotes (C{twistd ftpkit: ...}).
    """
    lines = text.splitlines()
    found = []
    index = 0
    while index < len(lines):
        match = re.search(r"(?:^|&& |^ExecStart=\S*/)"
                          r"((?:PYTHONPATH=examples )?twistd\b.*)$",
                          lines[index].strip())
        index += 1
        if match is None:
            continue
        command = match.group(1)
        while command.endswith("\\") and index < len(lines):
            command = command[:-1] + " " + lines[index].strip()
            index += 1
        if (re.search(r"\bftpkit\b", command)
                and not command.startswith("twistd ftpkit:")):
            found.append(command)
    return found


def quotedUsageErrors(text):
    """
    @param text: a page.
    @return: the usage error lines of C{twistd ftpkit} it quotes in its
        literal blocks (indented lines starting C{twistd ftpkit: }).
    """
    return re.findall(r"^ +(twistd ftpkit: .*)$", text, re.MULTILINE)


class _Machine:
    """
    What the pages' commands name on the operator's machine (C{/srv/ftp},
    C{/etc/ftpkit/...}, a certificate, a users file, a password file, the
    hook's program), made in a scratch directory.
    """

    def __init__(self, testCase):
        """
        @param testCase: the test, which removes the directory.
        """
        self.base = scratchDirectory(testCase)
        etc = os.path.join(self.base, "etc", "ftpkit")
        os.makedirs(etc)
        for directory in ["srv/ftp/default", "srv/ftp/example",
                          "srv/ftp/org", "tmp/ftp", "tmp/tenants"]:
            os.makedirs(os.path.join(self.base, directory))
        with open(os.path.join(self.base, "etc", "ftpkit.passwd"), "w") as f:
            f.write("alice:secret\n")
        certificate, key, _ = makeCertificate(etc)
        for name, source in [("cert.pem", certificate), ("key.pem", key),
                             ("fullchain.pem", certificate),
                             ("privkey.pem", key),
                             ("gateway_key", key)]:
            shutil.copy(source, os.path.join(etc, name))
        status = passwd.main(
            [os.path.join(etc, "users.toml"), "alice", "--home", "alice",
             "--password-stdin"], stdin=io.StringIO("secret\n"),
            stdout=io.StringIO(), stderr=sys.stderr)
        testCase.assertEqual(status, 0)
        for name in ["s3.toml", "sftp.toml"]:
            with open(os.path.join(DOCS, "recipes", name)) as f:
                text = f.read()
            with open(os.path.join(etc, name), "w") as f:
                f.write(self.here(text))

    def here(self, text):
        """
        @param text: a command line or file of a page.
        @return: C{text} naming this machine's paths, databases and
            programs instead, and a C{systemd:} listener as C{tcp:21}.
        """
        for variable in ["$DSN", "$FTPKIT_PG_DSN"]:
            text = text.replace(variable, "host=db.example dbname=ftp")
        text = text.replace("/usr/local/bin/scan-upload", "/bin/true")
        text = re.sub(r"systemd:\S+", "tcp:21", text)
        return re.sub(r"(?<![\w.])/(srv|etc|tmp)\b",
                      lambda match: f"{self.base}/{match.group(1)}", text)


def ftpkitArguments(command):
    """
    @param command: a C{twistd ... ftpkit ...} command line.
    @return: the arguments after C{ftpkit}.
    """
    words = shlex.split(command)
    return words[words.index("ftpkit") + 1:]


def parseError(arguments):
    """
    @param arguments: C{twistd ftpkit}'s arguments.
    @return: the usage error they make, or C{None}.
    """
    try:
        Options().parseOptions(arguments)
    except usage.UsageError as e:
        return str(e)
    return None


_PARSE = """
import sys
from tests.integration.test_docs_commands import parseError
error = parseError(sys.argv[1:])
sys.exit(0 if error is None else error)
"""


def parseWithExamples(arguments):
    """
    L{parseError} in a process with C{examples/} on C{PYTHONPATH}, as the
    tutorials run C{twistd}: the examples' plugins are found only by a
    process that starts with them on its path.

    @param arguments: C{twistd ftpkit}'s arguments.
    @return: the usage error they make, or C{None}.
    """
    status, output = runPython(["-c", _PARSE, *arguments], SOURCE,
                               os.path.join(SOURCE, "examples"))
    return None if status == 0 else output


class CommandsTests(unittest.TestCase):
    """
    The pages' C{twistd ftpkit} command lines.
    """

    def test_commandsParse(self):
        """
        Each command line a page gives parses with C{twistd ftpkit}'s
        options, once the paths it names are there. An example that a
        change of the options (a new usage error, an option renamed)
        turned into one fails here: C{--root} beside C{--realm memory},
        C{--home-per-user} with no realm that has homes, a number spelled
        C{1_000} became usage errors in session 26. A C{systemd:}
        listener, which needs the sockets of a C{.socket} unit, is taken
        as C{tcp:21}.
        """
        machine = _Machine(self)
        parsed = set()
        for page in operatorPages():
            with open(page, encoding="utf-8") as f:
                commands = twistdCommands(f.read())
            for command in commands:
                arguments = ftpkitArguments(machine.here(command))
                if command.startswith("PYTHONPATH=examples "):
                    error = parseWithExamples(arguments)
                else:
                    error = parseError(arguments)
                if error is not None:
                    self.fail(f"{os.path.basename(page)}: {command}: {error}")
                parsed.add(os.path.basename(page))
        # Where the commands are: the search itself is checked.
        self.assertTrue({"README.md", "quickstart.rst", "deployment.rst",
                         "tls.rst", "scale-out.rst", "virtual-hosts.rst",
                         "virtual-users.rst", "hooks.rst", "s3.sh",
                         "writing-a-realm.rst",
                         "writing-a-storage-backend.rst"} <= parsed, parsed)

    def test_findsUnitCommand(self):
        """
        A systemd unit's C{ExecStart=} command, spread over continuation
        lines, is found whole.
        """
        self.assertEqual(
            twistdCommands("    ExecStart=/usr/local/bin/twistd --nodaemon \\\n"
                           "        ftpkit --root /srv/ftp\n"
                           "    twistd ftpkit: --root: bad (see --help)\n"),
            ["twistd --nodaemon  ftpkit --root /srv/ftp"])


USAGE_ERRORS = [
    ["--root", "/", "--listen", "tcp:2121", "--metrics", "tcp:2121"],
    ["--max-connections", "x"],
    ["--metrics", "tcp:9102", "--metrics", "tcp:9103"],
    ["--passive-ports", "9102-9102", "--metrics", "tcp:9102"],
]
"""Command lines making the usage errors the pages quote."""


class UsageErrorsTests(unittest.TestCase):
    """
    The usage errors the pages quote.
    """

    def test_quotedAsPrinted(self):
        """
        Each usage error line a page quotes is the line C{twistd ftpkit}
        prints for one of L{USAGE_ERRORS}: a message reworded in the
        code, or a new one quoted without its command here, fails.
        """
        printed = set()
        for arguments in USAGE_ERRORS:
            with self.assertRaises(usage.UsageError) as raised:
                Options().parseOptions(arguments)
            printed.add(usageErrorLine("twistd", raised.exception).rstrip())
        quoted = set()
        for page in operatorPages():
            with open(page, encoding="utf-8") as f:
                quoted.update(quotedUsageErrors(f.read()))
        self.assertEqual(len(quoted), len(USAGE_ERRORS))
        self.assertEqual(quoted - printed, set())


def _segments(path):
    """
    @param path: an absolute path in a user's tree, C{/a/b}.
    @return: its segments, C{("a", "b")}, as permission tables take it.
    """
    return tuple(segment for segment in path.split("/") if segment)


PLACEHOLDER = "scrypt$16384$8$1$3q2+7w==$Xb5...="
"""The password hash of virtual-users.rst's users file, cut short."""


class UsersFileExampleTests(unittest.TestCase):
    """
    The users file C{virtual-users.rst} shows.
    """

    def example(self):
        """
        @return: the text of the example.
        """
        with open(os.path.join(DOCS, "virtual-users.rst"),
                  encoding="utf-8") as f:
            return "\n".join(literalBlockAfter(f.read(), "The users file"))

    def test_parses(self):
        """
        With a hash of C{python -m ftpkit.passwd}'s in place of its
        placeholder, the example is a users file giving alice what its
        comments say, and the directory rules the page explains with it:
        C{/incoming} and C{/incoming/private} themselves are under their
        rules (no C{mkdir}), the home's root is not.
        """
        text = self.example()
        self.assertIn(PLACEHOLDER, text)
        alice = parseUsers(text.replace(PLACEHOLDER, hashPassword("x")))["alice"]
        self.assertEqual(
            (alice.home, alice.quota, alice.fileQuota, alice.readOnly,
             alice.downloadRate, alice.uploadRate),
            ("alice", 100 << 20, 10000, False, 500 << 10, 1 << 20))
        rules = alice.permissions
        self.assertEqual(
            [rules.allows(_segments(path), "mkdir") for path in
             ["/", "/incoming", "/incoming/private", "/incoming/sub"]],
            [True, False, False, False])
        self.assertEqual(
            [rules.allows(_segments(path), "write") for path in
             ["/incoming/a", "/incoming/private/a"]], [True, False])

    def test_placeholderStops(self):
        """
        Copied as it is, the example's cut hash is the error the page
        quotes.
        """
        with self.assertRaises(UsersFileError) as raised:
            parseUsers(self.example(), "PATH")
        self.assertEqual(str(raised.exception),
                         "PATH: users.alice.password: malformed scrypt "
                         "password hash")


MEASURED = re.compile(r"\b\d+(?:\.\d+)?x \(\d")
"""A measured ratio with its min-max, as the benchmark writes its figures
(C{0.99x (0.56-1.51)})."""

CITES_BENCHMARK = re.compile(r":ref:`bench-|:doc:`benchmark|docs/benchmark\.rst")
"""A citation of C{docs/benchmark.rst} (a section of it, or the page)."""


def uncitedFigures(text):
    """
    @param text: a page.
    @return: the start of each of its paragraphs (blocks between blank
        lines) that gives measured ratios but cites no section of
        C{docs/benchmark.rst}.
    """
    return [paragraph.strip()[:80] for paragraph in re.split(r"\n\s*\n", text)
            if MEASURED.search(paragraph)
            and not CITES_BENCHMARK.search(paragraph)]


class MeasuredFiguresTests(unittest.TestCase):
    """
    The operator's pages cite the benchmark's figures, rather than hold
    figures of their own that no run records.
    """

    def test_figuresCiteBenchmark(self):
        """
        A paragraph of an operator's page that gives ratios with their
        ranges cites C{docs/benchmark.rst} beside them: C{scale-out.rst}
        held a table of its own (C{0.99x (0.56-1.51)}), found in no
        section of the benchmark's page, until session 44.
        """
        uncited = {}
        for page in operatorPages():
            with open(page, encoding="utf-8") as f:
                found = uncitedFigures(f.read())
            if found:
                uncited[os.path.basename(page)] = found
        self.assertEqual(uncited, {})

    def test_findsFigures(self):
        """
        The search finds a table row of figures, and takes a citation in
        its paragraph.
        """
        row = "logins/s   1832 (1221-2079)   0.99x (0.56-1.51)\n"
        self.assertEqual(len(uncitedFigures(row)), 1)
        self.assertEqual(uncitedFigures(row + "(:ref:`bench-scaleout-44`)"), [])
