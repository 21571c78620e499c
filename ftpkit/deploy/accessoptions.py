"""
The command-line options about what users see and may do, besides
C{--read-only} and C{--anonymous-write}: L{AccessOptionsMixin} for
L{ftpkit.deploy.tap.Options} and L{accessConfigFields} for the
L{ftpkit.config.ServerConfig}. L{ftpkit.protocol.access} enforces them.
"""

from ftpkit.configvalues import fileMask
from ftpkit.deploy.optionvalues import checkValues
from ftpkit.protocol.numbertext import octalNumber


class AccessOptionsMixin:
    """
    C{--hold-anonymous-uploads}, C{--hide-dotfiles}, C{--no-site-chmod}
    and C{--umask}, for a L{usage.Options} subclass.
    """

    optFlags = [
        ["hold-anonymous-uploads", None,
         ("Anonymous users download only world-readable files, and their "
          "uploads are stored without the world-read bit: an upload "
          "becomes downloadable once released (chmod o+r).")],
        ["hide-dotfiles", None,
         ("Names starting with '.' are not listed, and cannot be "
          "downloaded, changed or created, by any user.")],
        ["no-site-chmod", None,
         "Turn SITE CHMOD off (502) for every user."],
    ]

    optParameters = [
        ["umask", None, None,
         ("OCTAL file-creation mask for the files and directories users "
          "make, e.g. 022 or 077; it may take group and other bits only "
          "[default: the mask ftpkit starts with].")],
    ]


def octalMask(text):
    """
    Read C{--umask}: an octal file-creation mask, which must leave the
    owner's bits (L{fileMask}).

    @param text: an option value, e.g. C{"022"}.
    @return: C{text} as an C{int} from C{0} to C{0o077}.
    @raise ValueError: saying why otherwise.
    """
    try:
        mask = octalNumber(text)
    except ValueError:
        mask = None
    return fileMask(mask, repr(text))


def accessConfigFields(options):
    """
    Check the access options and make the L{ServerConfig} arguments they
    describe.

    @param options: parsed options of a class mixing in
        L{AccessOptionsMixin}.
    @return: a C{dict} with C{holdAnonymousUploads}, C{hideDotfiles},
        C{siteChmod} and C{umask}.
    @raise usage.UsageError: with one line naming the option at fault.
    """
    umask = checkValues(options, {"umask": octalMask})["umask"]
    return {
        "holdAnonymousUploads": bool(options.get("hold-anonymous-uploads")),
        "hideDotfiles": bool(options.get("hide-dotfiles")),
        "siteChmod": not options.get("no-site-chmod"),
        "umask": umask,
    }
