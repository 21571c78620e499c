"""
Names holding control characters (ESC, BEL, backspace, DEL, a C1
control) and the commands that send a name back on the control
connection, for the tests of a realm's replies: none may reach the
client raw (L{ftpkit.protocol.replies.printable}).
"""

import re

DIRECTORY = "e\x1b[2J"
"""A directory's name: ESC, then what a terminal reads as "clear the
screen"."""

FILE = "b\x07\x08\x7f\x9b"
"""A file's name in it: BEL, backspace, DEL and the C1 control CSI."""

PATH = "/" + DIRECTORY + "/" + FILE

_CONTROLS = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\udc80-\udc9f]|\r(?!\n)|(?<!\r)\n")

COMMANDS = [
    ("STAT /", " e?[2J\n"),
    ("STAT -d " + DIRECTORY, "213-Status of /e?[2J:"),
    ("STAT " + PATH, " b????\n213 End"),
    ("CWD " + DIRECTORY, "250 Directory changed to /e?[2J"),
    ("PWD", '257 "/e?[2J" is'),
    ("MLST " + FILE, " /e?[2J/b????\n250 End"),
    ("MKD z\x1bq", '257 "/e?[2J/z?q" created'),
    ("MFMT 20200101000000 " + FILE, "; /e?[2J/b????"),
    ("RNFR " + FILE, "350 "),
    ("RNTO c\x1b", "250 "),
    ("STAT .", " c?\n"),
]
"""Commands run in turn in a tree holding L{PATH}, each with a part of
its reply (lines joined by LF), the control characters of the names in
it sent as C{"?"}."""


def controlsIn(text):
    """
    @param text: the text of replies, decoded with C{surrogateescape}
        (a name's byte that is not UTF-8 a surrogate).
    @return: the control characters in it that no client should read:
        any but the CRLF ending each line.
    """
    return _CONTROLS.findall(text)
