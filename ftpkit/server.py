"""
The public name of L{ftpkit.control.server}, kept for plugins written
against it: importing it gives that module itself.
"""

import sys

from ftpkit.control import server

sys.modules[__name__] = server
