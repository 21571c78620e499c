"""
C{python -m ftpkit.passwd}: add a user to a users file (L{ftpkit.auth.users}),
reset a password, or delete a user::

    python -m ftpkit.passwd /etc/ftpkit/users.toml alice
    python -m ftpkit.passwd /etc/ftpkit/users.toml bob --home /srv/bob \\
        --permissions list,read,write --quota 10M --quota-files 1000
    python -m ftpkit.passwd /etc/ftpkit/users.toml --delete bob

The password is asked twice on the terminal, or read as one line from
standard input with C{--password-stdin}. Other users and fields are kept;
the file is rewritten (comments are lost) atomically, keeping its owner,
group and mode (C{0600} for a new file).
"""

import argparse
import getpass
import json
import os
import stat
import sys
import tempfile
import tomllib

from ftpkit.auth.passwordhash import hashPassword
from ftpkit.auth.realms import isSafeUserName
from ftpkit.auth.reloadingfile import readRegularFile
from ftpkit.auth.usersfile import UsersFileError, parseUser, parseUsers
from ftpkit.deploy.limitoptions import parseByteCount
from ftpkit.deploy.optionvalues import positiveInteger
from ftpkit.shells.permissiontable import PERMISSIONS

INTERRUPTED = 130
"""The exit status of a command Ctrl-C stopped, as a shell gives one a
C{SIGINT} ended."""

_KEY_ORDER = ("password", "home", "permissions", "quota", "quota-files",
              "read-only", "max-download-rate", "max-upload-rate")
"""The keys of a user's table, in the order they are written (all but
C{directories}, written as tables of their own)."""


def quoteString(text):
    """
    @param text: any C{str}.
    @return: it as a TOML basic string (JSON's escapes are all valid
        TOML, and non-ASCII text is kept as it is; TOML also wants DEL
        escaped).
    """
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def formatKey(key):
    """
    @param key: a table key.
    @return: C{key} bare when TOML allows it, quoted otherwise.
    """
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else quoteString(key)


def formatValue(value):
    """
    @param value: a C{str}, C{bool}, C{int} or list of C{str}.
    @return: its TOML text.
    @raise TypeError: for anything else (not in a users file).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quoteString(value)
    if isinstance(value, list):
        return "[" + ", ".join(formatValue(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} to a users file")


def formatUsers(users):
    """
    Write the TOML text of a users file.

    @param users: a C{dict} of user name to user table, as C{tomllib}
        reads them (already checked by L{ftpkit.auth.users.parseUsers}).
    @return: the text.
    """
    lines = []
    for name, table in users.items():
        header = "users." + formatKey(name)
        lines.append(f"[{header}]")
        for key in _KEY_ORDER:
            if key in table:
                lines.append(f"{key} = {formatValue(table[key])}")
        for directory, entry in table.get("directories", {}).items():
            lines.append("")
            lines.append(f"[{header}.directories.{formatKey(directory)}]")
            lines.append(
                f"permissions = {formatValue(entry['permissions'])}")
        lines.append("")
    return "\n".join(lines)


def loadTables(path):
    """
    Read the user tables of a users file, checking it.

    @param path: the file; a missing one has no users.
    @return: a C{dict} of user name to user table.
    @raise UsersFileError: when the file is not valid.
    """
    try:
        text = readRegularFile(path).decode("utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise UsersFileError(f"cannot read {path}: {e.strerror or e}")
    except UnicodeDecodeError as e:
        raise UsersFileError(f"cannot read {path}: {e}")
    parseUsers(text, path)
    return tomllib.loads(text).get("users", {})


def writeAtomically(path, text):
    """
    Replace C{path} with C{text}: written to a temporary file in the same
    directory, given the owner, group and mode of the file it replaces
    (C{0600} for a new file, owned by whoever runs this), synced, then
    renamed over it. A server running as another account (C{--uid}) can
    thus still read the file it reloads.

    @param path: the file.
    @param text: its new content.
    @raise OSError: when the file cannot be written or keep its owner
        (it is left as it was).
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    fd, temporary = tempfile.mkstemp(prefix=".users-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if old is None:
                os.fchmod(f.fileno(), 0o600)
            else:
                if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                    os.fchown(f.fileno(), old.st_uid, old.st_gid)
                os.fchmod(f.fileno(), stat.S_IMODE(old.st_mode))
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def permissionList(text):
    """
    @param text: comma-separated permission names.
    @return: the list of names.
    @raise argparse.ArgumentTypeError: for an unknown name.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PERMISSIONS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown permission {unknown[0]!r} (known: {','.join(PERMISSIONS)})")
    return names


def byteCount(text):
    """
    @param text: a number of bytes, with an optional K, M, G or T suffix as
        the server's sizes take (L{parseByteCount}): C{10M}.
    @return: it as an C{int} of at least 0.
    @raise argparse.ArgumentTypeError: otherwise.
    """
    try:
        return parseByteCount(text, least=0)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def positiveCount(text):
    """
    @param text: a count, such as a number of files.
    @return: it as an C{int} of at least 1, read as the server's options
        are (L{positiveInteger}, by L{ftpkit.configvalues.positiveCount}'s
        rule).
    @raise argparse.ArgumentTypeError: otherwise.
    """
    try:
        return positiveInteger(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def makeParser():
    """
    @return: the L{argparse.ArgumentParser} of the command.
    """
    parser = argparse.ArgumentParser(
        prog="python -m ftpkit.passwd",
        description=(
            "Add a user to an ftpkit users file or reset their password;"
            " or delete a user. Other users and fields are kept."),
    )
    parser.add_argument("path", help="the users file (created if missing)")
    parser.add_argument("user", nargs="?", help="the user to add or update")
    parser.add_argument("--delete", metavar="USER", help="delete USER")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password as one line from stdin")
    parser.add_argument("--home", help="home directory (relative to --root"
                        " of the server, '.' for --root itself, or absolute)"
                        " [default: USER]")
    parser.add_argument("--permissions", type=permissionList,
                        help="comma-separated: " + ",".join(PERMISSIONS)
                        + " [default for a new user: list,read]")
    parser.add_argument("--quota", type=byteCount, metavar="SIZE",
                        help="the most bytes the user may store (K, M, G, T"
                        " suffixes: 10G)")
    parser.add_argument("--quota-files", type=positiveCount, metavar="N",
                        help="the most files and directories the user may"
                        " store")
    parser.add_argument("--read-only", action="store_true",
                        help="the user may change nothing")
    return parser


class PromptError(UsersFileError):
    """
    The password prompt got no usable answer; the error goes on a line
    of its own (L{errorLine}), not after the prompt the input ended on.
    """


def errorLine(program, error):
    """
    @param program: how the command names itself.
    @param error: the L{UsersFileError} that stopped it.
    @return: the line saying so, after a line feed ending the prompt's
        line when it is a L{PromptError}.
    """
    start = "\n" if isinstance(error, PromptError) else ""
    return f"{start}{program}: {error}\n"


def readPassword(fromStdin, stdin, prompt):
    """
    Get the new password.

    @param fromStdin: read one line from C{stdin} instead of prompting.
    @param stdin: the standard input file.
    @param prompt: the C{getpass}-like function prompting on the terminal.
    @return: the password.
    @raise UsersFileError: when it is empty, the two entries differ,
        the input ends at the prompt (no terminal: a script that meant
        C{--password-stdin}) or is closed (a L{PromptError} when
        prompting), or the password is not UTF-8 text (bytes the
        terminal's encoding could not decode, which no hash could be made
        of).
    """
    closed = UsersFileError("no password: standard input is closed")
    notText = UsersFileError("the password is not UTF-8 text")
    if fromStdin:
        if stdin is None:
            # Closed (<&-): Python then has no sys.stdin.
            raise closed
        try:
            password = stdin.readline().rstrip("\r\n")
        except UnicodeDecodeError:
            raise notText from None
    else:
        try:
            password = prompt("New password: ")
            again = prompt("Again: ")
        except EOFError:
            raise PromptError(
                "no password: the input ended (use --password-stdin)"
            ) from None
        except UnicodeDecodeError:
            raise PromptError(str(notText)) from None
        except AttributeError:
            # getpass without a terminal reads sys.stdin, None if closed.
            if stdin is not None:
                raise
            raise PromptError(str(closed)) from None
        if again != password:
            raise UsersFileError("the passwords differ")
    if not password:
        raise UsersFileError("empty password")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise notText from None
    return password


def checkUserName(name):
    """
    @param name: the user name the command was given.
    @raise UsersFileError: saying why it cannot be used (the server would
        refuse the file holding it).
    """
    if not isSafeUserName(name):
        raise UsersFileError(
            f"{name!r} is not a usable user name (it must not be empty, "
            "start with '.', or hold '/', '\\' or a control character)")


def givenFields(options, password=None):
    """
    The fields of a user that the options both user commands take set
    (C{--home}, C{--permissions}, C{--quota}, C{--quota-files},
    C{--read-only}), and the password.

    @param options: the parsed arguments (of this command, or of
        L{ftpkit.auth.pgadmin}'s C{add} and C{set}).
    @param password: the new password, or C{None} to keep the user's.
    @return: a C{dict} of the users file's keys to the values given
        (the password hashed).
    """
    fields = {}
    if password is not None:
        fields["password"] = hashPassword(password)
    for option, key in (("home", "home"), ("permissions", "permissions"),
                        ("quota", "quota"), ("quota_files", "quota-files")):
        value = getattr(options, option)
        if value is not None:
            fields[key] = value
    if options.read_only:
        fields["read-only"] = True
    return fields


def updateUser(table, options, password=None):
    """
    Apply the command's options to a user's table.

    @param table: the user's table (changed in place; C{{}} for a new
        user).
    @param options: the parsed arguments.
    @param password: the new password, or C{None} to keep the table's.
    """
    table.update(givenFields(options, password))


def changesGiven(options):
    """
    @param options: the parsed arguments.
    @return: the options given that change a user's fields or password
        (C{--home}, ...), in the order of C{--help}: with C{--delete}
        they were ignored without a word.
    """
    fields = (("--password-stdin", options.password_stdin),
              ("--home", options.home),
              ("--permissions", options.permissions),
              ("--quota", options.quota),
              ("--quota-files", options.quota_files),
              ("--read-only", options.read_only))
    return [name for name, value in fields if value not in (None, False)]


def standardStreams(stdin, stdout, stderr):
    """
    @param stdin: standard input, or C{None}.
    @param stdout: standard output, or C{None}.
    @param stderr: standard error, or C{None}.
    @return: C{(stdin, stdout, stderr)}, each the C{sys} one when given as
        C{None} (the commands' C{main} take them for their tests).
    """
    return (sys.stdin if stdin is None else stdin,
            sys.stdout if stdout is None else stdout,
            sys.stderr if stderr is None else stderr)


def main(argv=None, stdin=None, stdout=None, stderr=None,
         prompt=getpass.getpass):
    """
    Run the command.

    @param argv: the arguments (C{sys.argv[1:]} when C{None}).
    @param stdin: standard input (C{sys.stdin} when C{None}).
    @param stdout: where to report (C{sys.stdout} when C{None}).
    @param stderr: where errors go (C{sys.stderr} when C{None}).
    @param prompt: asks for a password on the terminal.
    @return: the exit status: 0, or 1 after an error message on stderr
        (usage errors exit with status 2 from L{argparse}), or
        L{INTERRUPTED} after Ctrl-C (it was a C{KeyboardInterrupt}
        traceback).
    """
    parser = makeParser()
    options = parser.parse_args(argv)
    stdin, stdout, stderr = standardStreams(stdin, stdout, stderr)
    if (options.user is None) == (options.delete is None):
        parser.error("give either USER or --delete USER")
    if options.delete is not None and changesGiven(options):
        parser.error(f"--delete: takes no {changesGiven(options)[0]} (it "
                     "deletes the user; nothing else is changed)")
    try:
        users = loadTables(options.path)
        if options.delete is not None:
            if users.pop(options.delete, None) is None:
                raise UsersFileError(f"no user {options.delete!r} in {options.path}")
            action = f"deleted {options.delete}"
        else:
            # The name and the other fields are checked before the
            # password is asked for: a mistake there is said at once.
            checkUserName(options.user)
            table = users.setdefault(options.user, {})
            action = ("reset the password of " if table else "added ") + options.user
            updateUser(table, options)
            parseUser(options.user, table)
            updateUser(table, options,
                       readPassword(options.password_stdin, stdin, prompt))
        writeAtomically(options.path, formatUsers(users))
    except UsersFileError as e:
        stderr.write(errorLine("python -m ftpkit.passwd: error", e))
        return 1
    except OSError as e:
        # Named by the file the user gave: the error's own file name is
        # writeAtomically's temporary one, or none (fchown).
        stderr.write(f"python -m ftpkit.passwd: error: cannot write "
                     f"{options.path}: {e.strerror or e}\n")
        return 1
    except KeyboardInterrupt:
        # Ctrl-C at the prompt: the file is as it was (writeAtomically
        # renames a complete copy over it, or nothing).
        stderr.write("\npython -m ftpkit.passwd: interrupted\n")
        return INTERRUPTED
    stdout.write(f"{action} in {options.path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
