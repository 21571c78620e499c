"""
C{python -m bench.fetchservers}: put vsftpd, ProFTPD and Pure-FTPd where
the benchmark finds them, without installing them.

Debian's FTP server packages conflict with one another (each provides
C{ftp-server}), so at most one can be installed. This downloads the
packages with C{apt-get download} and unpacks them with C{dpkg -x} into
L{SERVER_ROOT}; nothing is started or registered with the system. The
libraries the servers link against (libwrap0 for vsftpd, libhiredis and
libmemcached for ProFTPD...) conflict with nothing, so they are installed
with C{apt-get install}: a new machine has none of them, and a server
missing one exits at once and is skipped by the benchmark.
"""

import os
import re
import subprocess
import sys
import tempfile

SERVER_ROOT = os.environ.get("FTPKIT_BENCH_SERVERS", "/opt/ftpkit-bench-servers")
"""Where the unpacked packages live (C{$FTPKIT_BENCH_SERVERS} overrides)."""

PACKAGES = ("vsftpd", "proftpd-core", "proftpd-mod-crypto", "pure-ftpd")
"""What is unpacked: proftpd-mod-crypto holds ProFTPD's mod_tls."""


def unpackedPath(*parts):
    """
    @param parts: a path inside the unpacked packages, e.g. C{"usr/sbin",
        "vsftpd"}.
    @return: that path below L{SERVER_ROOT}.
    """
    return os.path.join(SERVER_ROOT, *parts)


def libraryDependencies(packages):
    """
    @param packages: Debian package names.
    @return: the names of the C{lib*} packages they depend on, sorted.
    """
    shown = subprocess.run(
        ["apt-cache", "depends", "--no-recommends", "--no-suggests",
         *packages], check=True, capture_output=True, text=True).stdout
    return sorted({m.group(1) for m in re.finditer(
        r"^\s+(?:Pre)?Depends: (lib[^\s:<>]+)", shown, re.M)})


def fetch(packages=PACKAGES, root=SERVER_ROOT):
    """
    Download and unpack C{packages} into C{root}.

    @param packages: Debian package names.
    @param root: the directory to unpack into.
    @raise subprocess.CalledProcessError: when apt-get or dpkg fails.
    """
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends",
                    *libraryDependencies(packages)], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    with tempfile.TemporaryDirectory() as debs:
        os.chmod(debs, 0o755)
        subprocess.run(["apt-get", "download", *packages], cwd=debs,
                       check=True)
        for name in sorted(os.listdir(debs)):
            subprocess.run(["dpkg", "-x", os.path.join(debs, name), root],
                           check=True)


if __name__ == "__main__":
    fetch()
    print(f"unpacked {', '.join(PACKAGES)} into {SERVER_ROOT}",
          file=sys.stderr)
