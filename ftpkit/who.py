"""
The public name of L{ftpkit.ops.who} (C{python -m ftpkit.who}
keeps working): importing it gives that module itself.
"""

import sys

from ftpkit.ops import who

if __name__ == "__main__":
    sys.exit(who.main())
sys.modules[__name__] = who
