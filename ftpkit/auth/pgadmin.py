"""
C{python -m ftpkit.pgadmin}: create the PostgreSQL users table of
C{--auth pg:DSN} / C{--realm pg:DSN} (L{ftpkit.auth.pgusers}) and add, change,
list and remove its users::

    python -m ftpkit.pgadmin --dsn 'host=db dbname=ftp' init
    python -m ftpkit.pgadmin --dsn 'host=db dbname=ftp' add alice \\
        --permissions list,read,write --quota 1G --quota-files 10000
    python -m ftpkit.pgadmin set alice --password --directory /in=list,write
    python -m ftpkit.pgadmin remove alice
    python -m ftpkit.pgadmin list

The connection string comes from C{--dsn}, else C{$FTPKIT_PG_DSN}, else
libpq's environment (C{PGHOST}, C{PGDATABASE}, ...). A password is asked
twice on the terminal, or read as one line from standard input with
C{--password-stdin}. Every change is checked by the rules the server
applies, so what this writes, the server accepts. C{init} also brings a
table made by an older ftpkit up to date (new columns, the users kept).
"""

import argparse
import getpass
import json
import os
import sys

from ftpkit.auth.passwd import (
    INTERRUPTED,
    byteCount,
    checkUserName,
    errorLine,
    givenFields,
    permissionList,
    positiveCount,
    readPassword,
    standardStreams,
)
from ftpkit.auth.pgusers import COLUMN_NAMES, ROW, SCHEMA, entryFromRow
from ftpkit.auth.usersfile import UsersFileError


def directoryRule(text):
    """
    @param text: C{/PATH=PERMISSION,...}, e.g. C{/incoming=list,write}.
    @return: C{(path, [names])}.
    @raise argparse.ArgumentTypeError: when it is not of that form.
    """
    path, sep, names = text.partition("=")
    if not sep or not path.startswith("/"):
        raise argparse.ArgumentTypeError(
            f"must be /PATH=PERMISSION,..., not {text!r}")
    return path, permissionList(names)


def makeParser():
    """
    @return: the L{argparse.ArgumentParser} of the command.
    """
    parser = argparse.ArgumentParser(
        prog="python -m ftpkit.pgadmin",
        description="Manage the ftpkit users table in PostgreSQL.")
    parser.add_argument("--dsn", default=os.environ.get("FTPKIT_PG_DSN", ""),
                        help="libpq connection string [default:"
                        " $FTPKIT_PG_DSN, else libpq's environment]")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the table if it is missing,"
                        " or add the columns an older ftpkit did not have")
    commands.add_parser("list", help="list the users, one JSON object a line")
    remove = commands.add_parser("remove", help="remove a user")
    remove.add_argument("user")
    for name, text in (("add", "add a user (asks for a password)"),
                       ("set", "change a user's fields")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("user")
        if name == "set":
            sub.add_argument("--password", action="store_true",
                             help="set a new password")
        sub.add_argument("--password-stdin", action="store_true",
                         help="read the password as one line from stdin")
        sub.add_argument("--home", help="home directory (relative to"
                         " --root of the servers, or absolute)"
                         " [default for a new user: USER]")
        sub.add_argument("--permissions", type=permissionList,
                         help="comma-separated [default for a new user:"
                         " list,read]")
        sub.add_argument("--directory", type=directoryRule, action="append",
                         metavar="/PATH=PERMISSIONS",
                         help="permissions below one directory, repeatable"
                         " (replaces the user's directory rules)")
        # Each pair is a usage error together: the "no" one silently won.
        quota = sub.add_mutually_exclusive_group()
        quota.add_argument("--quota", type=byteCount, metavar="SIZE",
                           help="the most bytes the user may store (K, M, G, T"
                           " suffixes: 10G)")
        quota.add_argument("--no-quota", action="store_true",
                           help="remove the quota")
        files = sub.add_mutually_exclusive_group()
        files.add_argument("--quota-files", type=positiveCount, metavar="N",
                           help="the most files and directories the user"
                           " may store")
        files.add_argument("--no-quota-files", action="store_true",
                           help="remove the file quota")
        writable = sub.add_mutually_exclusive_group()
        writable.add_argument("--read-only", action="store_true",
                              help="the user may change nothing")
        writable.add_argument("--writable", action="store_true",
                              help="clear --read-only")
    return parser


def _fetch(cursor, name):
    """
    @return: the user's row as a C{dict} of every column (C{None} for one
        the table does not have yet) to its value, or C{None}.
    """
    cursor.execute(f"SELECT {ROW} FROM ftpkit_users WHERE name = %s",
                   (name,))
    row = cursor.fetchone()
    if row is None:
        return None
    return {column: row[0].get(column) for column in COLUMN_NAMES}


def applyOptions(row, options, password):
    """
    Apply C{add}'s or C{set}'s options to a row.

    @param row: the user's columns (changed in place).
    @param options: the parsed arguments.
    @param password: a new password, or C{None}.
    @raise UsersFileError: when the result breaks the server's rules.
    """
    # The users file's keys are the columns, "-" for "_".
    row.update((key.replace("-", "_"), value)
               for key, value in givenFields(options, password).items())
    if options.directory is not None:
        row["directories"] = dict(options.directory)
    if options.no_quota:
        row["quota"] = None
    if options.no_quota_files:
        row["quota_files"] = None
    if options.writable:
        row["read_only"] = False
    entryFromRow(row)


def newRow(options):
    """
    @param options: C{add}'s parsed arguments.
    @return: the row of the user to add, its password not set yet.
    @raise UsersFileError: when the name or the fields break the server's
        rules (checked before connecting: a bad name was reported as the
        database being unreachable when it was).
    """
    checkUserName(options.user)
    row = dict.fromkeys(COLUMN_NAMES)
    row.update(name=options.user, home=options.user,
               permissions=["list", "read"], read_only=False, directories={})
    applyOptions(row, options, None)
    return row


def _store(cursor, row):
    """
    Insert or update a user's row (every column: on a table an older
    ftpkit made, this fails until C{init} brings it up to date).
    """
    values = dict(row, permissions=list(row["permissions"]),
                  directories=json.dumps(row["directories"]))
    updates = ", ".join(f"{column} = EXCLUDED.{column}"
                        for column in COLUMN_NAMES[1:])
    cursor.execute(
        f"INSERT INTO ftpkit_users ({', '.join(COLUMN_NAMES)})"
        f" VALUES ({', '.join(['%s'] * len(COLUMN_NAMES))})"
        f" ON CONFLICT (name) DO UPDATE SET {updates}",
        [values[column] for column in COLUMN_NAMES])


def run(connection, options, stdin, stdout, prompt):
    """
    Carry out one command in one transaction.

    @param connection: an open psycopg connection.
    @param options: the parsed arguments.
    @param stdin: standard input, for C{--password-stdin}.
    @param stdout: where to report.
    @param prompt: asks for a password on the terminal.
    @raise UsersFileError: with the reason a command cannot be done.
    """
    with connection.transaction(), connection.cursor() as cursor:
        if options.command == "init":
            cursor.execute(SCHEMA)
            print("ftpkit_users is ready", file=stdout)
            return
        if options.command == "list":
            cursor.execute(f"SELECT {ROW} FROM ftpkit_users ORDER BY name")
            for (values,) in cursor.fetchall():
                entry = {column: values.get(column)
                         for column in COLUMN_NAMES if column != "password"}
                print(json.dumps(entry, default=str), file=stdout)
            return
        row = _fetch(cursor, options.user)
        if options.command == "remove":
            if row is None:
                raise UsersFileError(f"no user {options.user!r}")
            cursor.execute("DELETE FROM ftpkit_users WHERE name = %s",
                           (options.user,))
            print(f"removed {options.user}", file=stdout)
            return
        # The name and the other fields are checked before the password
        # is asked for: a mistake there is said at once.
        if options.command == "add":
            if row is not None:
                raise UsersFileError(f"user {options.user!r} exists: use set")
            row = newRow(options)
        elif row is None:
            raise UsersFileError(f"no user {options.user!r}: use add")
        else:
            applyOptions(row, options, None)
        if (options.command == "add" or options.password
                or options.password_stdin):
            applyOptions(row, options, readPassword(options.password_stdin,
                                                    stdin, prompt))
        _store(cursor, row)
        action = "added" if options.command == "add" else "changed"
        print(f"{action} {options.user}", file=stdout)


def main(argv=None, stdin=None, stdout=None, stderr=None,
         prompt=getpass.getpass):
    """
    Run the command.

    @param argv: the arguments (C{sys.argv[1:]} when C{None}).
    @param stdin: standard input (C{sys.stdin} when C{None}).
    @param stdout: where to report (C{sys.stdout} when C{None}).
    @param stderr: where errors go (C{sys.stderr} when C{None}).
    @param prompt: asks for a password on the terminal.
    @return: the exit status: 0, or 1 after a one-line error on stderr
        (usage errors exit with status 2 from L{argparse}), or
        L{INTERRUPTED} after Ctrl-C.
    """
    options = makeParser().parse_args(argv)
    stdin, stdout, stderr = standardStreams(stdin, stdout, stderr)
    if options.command == "add":
        try:
            newRow(options)
        except UsersFileError as e:
            stderr.write(errorLine("pgadmin", e))
            return 1
    try:
        import psycopg
    except ImportError:
        print("pgadmin: needs psycopg: pip install 'ftpkit[pg]'", file=stderr)
        return 1
    try:
        with psycopg.connect(options.dsn) as connection:
            run(connection, options, stdin, stdout, prompt)
    except UsersFileError as e:
        stderr.write(errorLine("pgadmin", e))
        return 1
    except psycopg.errors.UndefinedColumn as e:
        print(f"pgadmin: {' '.join(str(e).split())}: the table is older than"
              " this ftpkit; bring it up to date with"
              " python -m ftpkit.pgadmin init", file=stderr)
        return 1
    except psycopg.Error as e:
        print(f"pgadmin: {' '.join(str(e).split())}", file=stderr)
        return 1
    except KeyboardInterrupt:
        # Ctrl-C at the prompt: the transaction is rolled back.
        print("\npgadmin: interrupted", file=stderr)
        return INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
