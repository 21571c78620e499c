"""
Sphinx configuration of the ftpkit documentation.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ftpkit  # noqa: E402

project = "ftpkit"
author = "the ftpkit authors"
copyright = "the ftpkit authors"  # noqa: A001
version = release = ftpkit.__version__

extensions = []
exclude_patterns = ["_build"]
html_theme = "alabaster"

