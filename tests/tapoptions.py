"""
Parsing the command line of C{twistd ftpkit} (its L{Options}) as the
tests of options do.
"""

from ftpkit.deploy.tap import Options


def parse(*args):
    """
    @param args: command-line arguments.
    @return: the parsed L{Options}.
    """
    options = Options()
    options.parseOptions(list(args))
    return options
