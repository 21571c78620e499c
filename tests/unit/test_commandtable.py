"""
Tests for L{ftpkit.protocol.commandtable}: the table is consistent with the
handlers and with docs/protocol.rst.
"""

import os

from twisted.trial import unittest

from ftpkit.control.server import FTPProtocol
from ftpkit.protocol import commandtable

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "docs", "protocol.rst")


class CommandTableTests(unittest.TestCase):
    """
    The command table drives dispatch, FEAT, HELP and the docs.
    """

    def test_everyCommandHasAHandler(self):
        """
        Each verb in the table has an C{ftp_VERB} method.
        """
        missing = [verb for verb, command in commandtable.COMMANDS.items()
                   if not hasattr(FTPProtocol,
                                  "ftp_" + command.handlerVerb)]
        self.assertEqual(missing, [])

    def test_everyHandlerIsInTheTable(self):
        """
        No C{ftp_VERB} method exists that the table (and so FEAT, HELP and
        the docs) does not know about.
        """
        handlers = {name[4:] for name in dir(FTPProtocol)
                    if name.startswith("ftp_")}
        self.assertEqual(handlers - set(commandtable.COMMANDS), set())

    def test_unimplementedNotInTable(self):
        """
        No verb is both implemented and among those answered C{502}.
        """
        self.assertEqual(
            commandtable.KNOWN_UNIMPLEMENTED & set(commandtable.COMMANDS),
            set())

    def test_docsMatchTable(self):
        """
        docs/protocol.rst holds the table generated from the code.
        """
        with open(DOCS, encoding="utf-8") as f:
            text = f.read()
        start = text.index(".. BEGIN COMMAND TABLE\n\n") + len(
            ".. BEGIN COMMAND TABLE\n\n")
        end = text.index("\n.. END COMMAND TABLE")
        self.assertEqual(text[start:end], commandtable.protocolTable())

    def test_docsTableModeZ(self):
        """
        The generated table says that C{MODE Z}, its syntax's C{Z} and its
        C{FEAT} line, needs C{--mode-z}: by default C{MODE} takes C{S}
        alone.
        """
        row, = [line for line in commandtable.protocolTable().splitlines()
                if line.startswith("``MODE``")]
        cells = [cell.strip() for cell in row.split("  ") if cell.strip()]
        self.assertEqual(cells[1], "``MODE <sp> S``; ``MODE <sp> S | Z``"
                                   " with ``--mode-z``")
        self.assertEqual(cells[3], "``MODE Z`` with ``--mode-z``")

    def test_featureLinesWithoutTLS(self):
        """
        Without TLS, FEAT offers neither AUTH TLS nor PBSZ/PROT, nor the
        secure FXP verbs (SSCN, CPSV).
        """
        lines = commandtable.featureLines(False, "MLST type*;", None)
        for feature in ("AUTH TLS", "PBSZ", "PROT", "SSCN", "CPSV"):
            self.assertNotIn(feature, lines)
        self.assertIn("EPSV", lines)
        self.assertIn("REST STREAM", lines)

    def test_featureLinesWithTLS(self):
        """
        With TLS, FEAT offers AUTH TLS, PBSZ, PROT, SSCN and CPSV, and a
        HASH line when given.
        """
        lines = commandtable.featureLines(True, "MLST type*;", "HASH MD5*")
        for feature in ("AUTH TLS", "PBSZ", "PROT", "SSCN", "CPSV",
                        "HASH MD5*"):
            self.assertIn(feature, lines)

    def test_featureLinesWithoutIPv4Passive(self):
        """
        Where no C{227} can be given (an IPv6 control connection), C{CPSV}
        alone is left out.
        """
        lines = commandtable.featureLines(True, "MLST type*;", None)
        without = commandtable.featureLines(True, "MLST type*;", None,
                                            passiveIPv4=False)
        self.assertEqual(sorted(set(lines) - set(without)), ["CPSV"])

    def test_featureLinesWithoutTLSClientRole(self):
        """
        Where the server may not be the TLS client of a data connection
        (C{--tls-require-session-reuse}: C{SSCN ON} and C{CPSV} get
        C{534}), C{SSCN} and C{CPSV} are left out, and nothing else: they
        were listed, and lftp sent C{CPSV} to a server listing it.
        """
        lines = commandtable.featureLines(True, "MLST type*;", None)
        without = commandtable.featureLines(True, "MLST type*;", None,
                                            tlsClientRole=False)
        self.assertEqual(sorted(set(lines) - set(without)), ["CPSV", "SSCN"])
        self.assertEqual(set(without) - set(lines), set())

    def test_featureLinesUnsupported(self):
        """
        A line whose keyword the storage cannot honour is left out.
        """
        lines = commandtable.featureLines(False, "MLST type*;", None)
        self.assertIn("MFMT", lines)
        without = commandtable.featureLines(False, "MLST type*;", None,
                                            unsupported=frozenset({"MFMT"}))
        self.assertEqual(sorted(set(lines) - set(without)), ["MFMT"])

    def test_featureLinesKeptApart(self):
        """
        The lines are made once for each set of arguments, but each call
        gives a list of its own: a caller adding to it (as a session adds
        its C{SITE} lines) changes no other C{FEAT}; a capability given
        as a C{set} or a C{frozenset} gives the same lines.
        """
        first = commandtable.featureLines(True, "MLST type*;", None,
                                          capabilities={commandtable.HASHING})
        first.append("SITE SOMETHING")
        again = commandtable.featureLines(
            True, "MLST type*;", None,
            capabilities=frozenset({commandtable.HASHING}))
        self.assertNotIn("SITE SOMETHING", again)
        self.assertEqual(first[:-1], again)
        self.assertIsInstance(again, list)

    def test_offered(self):
        """
        L{commandtable.offered}: C{AUTH} and the TLS verbs with TLS only,
        C{CCC} only where allowed too, a capability's verbs only with it.
        """
        def verbs(**settings):
            return {verb for verb, command in commandtable.COMMANDS.items()
                    if not commandtable.offered(command, **settings)}
        everything = {commandtable.HASHING, commandtable.MEASURING,
                      commandtable.WRITING_AT_OFFSETS}
        self.assertEqual(verbs(tlsEnabled=True, capabilities=everything),
                         {"CCC"})
        self.assertEqual(
            verbs(tlsEnabled=True, allowCCC=True, capabilities=everything),
            set())
        self.assertEqual(verbs(tlsEnabled=False, allowCCC=True,
                               capabilities=everything),
                         {"AUTH", "CCC", "CPSV", "PBSZ", "PROT", "SSCN"})
        self.assertEqual(
            verbs(tlsEnabled=True, allowCCC=True,
                  capabilities={commandtable.MEASURING,
                                commandtable.WRITING_AT_OFFSETS}),
            {"HASH", "XCRC", "XMD5", "XSHA", "XSHA1", "XSHA256", "XSHA512"})
        self.assertEqual(
            verbs(tlsEnabled=True, allowCCC=True,
                  capabilities={commandtable.MEASURING,
                                commandtable.HASHING}),
            {"APPE"})

    def test_sessionState(self):
        """
        L{commandtable.unavailable}: no C{PASV} or C{CPSV} without an IPv4
        control connection, no C{PORT} without an IPv4 client, none of
        them nor C{EPRT} after C{EPSV ALL}, none of them nor C{EPSV}
        for a client with no address, no C{AUTH} under TLS, no
        C{CCC} where TLS cannot end; each with its reason.
        """
        def refused(**settings):
            return {verb: reason for verb, command
                    in commandtable.COMMANDS.items()
                    if (reason := commandtable.unavailable(
                        command, tlsEnabled=True, allowCCC=True,
                        capabilities=everything, **settings))}
        everything = {commandtable.HASHING, commandtable.MEASURING,
                      commandtable.WRITING_AT_OFFSETS}
        self.assertEqual(refused(), {})
        self.assertEqual(sorted(refused(passiveIPv4=False, activeIPv4=False)),
                         ["CPSV", "PASV", "PORT"])
        self.assertEqual(set(refused(epsvAll=True).values()),
                         {"only EPSV sets up data connections after EPSV"
                          " ALL"})
        self.assertEqual(sorted(refused(epsvAll=True)),
                         ["CPSV", "EPRT", "PASV", "PORT"])
        self.assertEqual(sorted(refused(hasAddress=False)),
                         ["CPSV", "EPRT", "EPSV", "PASV", "PORT", "SSCN"])
        self.assertEqual(refused(underTLS=True, tlsClearable=False,
                                 reinitializable=False),
                         {"AUTH": "the control connection is under TLS"
                                  " already",
                          "REIN": "not on a TLS control connection; QUIT"
                                  " and connect again",
                          "CCC": "TLS cannot end on this connection"
                                 " (implicit TLS)"})

    def test_conditional(self):
        """
        A verb outside L{commandtable.CONDITIONAL} is offered in the
        barest session, and L{commandtable.unavailableVerbs} gives the
        reasons of those within it.
        """
        bare = dict(tlsEnabled=False, allowCCC=False, capabilities=set(),
                    passiveIPv4=False, tlsClientRole=False, activeIPv4=False,
                    epsvAll=True, underTLS=True, tlsClearable=False,
                    reinitializable=False, hasAddress=False)
        for verb, command in commandtable.COMMANDS.items():
            if verb not in commandtable.CONDITIONAL:
                self.assertIsNone(commandtable.unavailable(command, **bare),
                                  verb)
        reasons = commandtable.unavailableVerbs(**bare)
        self.assertEqual(set(reasons), commandtable.CONDITIONAL)
        self.assertEqual(reasons["PASV"], commandtable.unavailable(
            commandtable.COMMANDS["PASV"], **bare))

    def test_helpListsEveryVerb(self):
        """
        HELP's lines mention every verb.
        """
        words = " ".join(commandtable.helpText()).split()
        self.assertEqual(sorted(words), sorted(commandtable.COMMANDS))
