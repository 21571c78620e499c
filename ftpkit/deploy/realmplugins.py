"""
The installed realm plugins (L{ftpkit.interfaces.IRealmPlugin}): all of
them (L{realmPlugins}, which C{--help-realms} lists: L{writeRealmHelp}),
the one a C{--realm} or C{--vhost} value names (L{findRealm}), the realm
it makes (L{buildRealm}). A plugin module that failed to import
(L{describeImportFailure}), or a plugin without a name or C{makeRealm}
(L{unusableRealmPlugin}), is skipped and said in one line.
"""

import difflib
import inspect
import types

from twisted.python import usage

from ftpkit.deploy.pluginlookups import (
    describeImportFailure,
    describePlugin,
    pluginLookups,
    sayOnce,
    uninstantiated,
)
from ftpkit.interfaces import IRealmPlugin

__all__ = ["realmPlugins", "describeImportFailure", "unusableRealmPlugin",
           "describePlugin", "writeRealmHelp", "findRealm", "forgottenInstance",
           "buildRealm", "servesRealm",
           "unusedHomes", "unusedRoot"]


def realmPlugins(failedImports=None, unusable=None, unusableNames=None):
    """
    @param failedImports: a C{list} to which the plugin modules that failed
        to import are added (L{describeImportFailure}), or C{None}.
    @param unusable: a C{list} to which the plugins skipped as unusable
        are added (L{unusableRealmPlugin}; and two or more with one name,
        which would have given that name to whichever was found last), or
        C{None}.
    @param unusableNames: a C{dict} to which each plugin skipped as
        unusable that has a name (one without C{makeRealm}) is added, by
        that name, with why (L{unusableRealmPlugin}), or C{None}.
    @return: a C{dict} mapping each installed realm name to its
        L{IRealmPlugin}.
    """
    from twisted.plugin import getPlugins

    import twisted.plugins

    named = {}
    with pluginLookups(failedImports):
        for plugin in getPlugins(IRealmPlugin, twisted.plugins):
            why = unusableRealmPlugin(plugin)
            if why is None:
                named.setdefault(plugin.name, []).append(plugin)
            else:
                _skip(why, unusable)
                name = getattr(plugin, "name", None)
                if unusableNames is not None and isinstance(name, str):
                    unusableNames[name] = why
    for name, plugins in named.items():
        if len(plugins) > 1:
            _skip(_ambiguous(name) + ", ".join(map(describePlugin, plugins)),
                  unusable)
    return {name: plugins[0] for name, plugins in named.items()
            if len(plugins) == 1}


def _ambiguous(name):
    """
    @param name: a name two or more realm plugins have.
    @return: how the reason for skipping them starts.
    """
    return f"{name!r} names more than one realm plugin: "


def _skip(why, unusable):
    """
    Say that a realm plugin is skipped, once per process.

    @param why: why, naming it (L{unusableRealmPlugin}).
    @param unusable: a C{list} C{why} is added to, or C{None}.
    """
    sayOnce(f"realm plugin skipped: {why}")
    if unusable is not None:
        unusable.append(why)


def unusableRealmPlugin(plugin):
    """
    @param plugin: an object claiming L{IRealmPlugin}.
    @return: why it cannot be used, naming it and its module (no C{name}
        text, which C{--realm} could pick, or no C{makeRealm}), or C{None}
        when it can.
    """
    name = getattr(plugin, "name", None)
    if isinstance(name, str) and name and callable(
            getattr(plugin, "makeRealm", None)):
        return None
    lacks = "makeRealm" if isinstance(name, str) and name else "name"
    return f"{describePlugin(plugin)[:-1]} has no {lacks})"


def writeRealmHelp(out):
    """
    Write what C{--help-realms} shows: each installed realm, where realm
    plugins are found, and the plugins skipped and why.

    @param out: a text file.
    """
    failedImports, unusable = [], []
    plugins = realmPlugins(failedImports, unusable)
    out.write("Usage: --realm NAME[:ARGS]\n\n")
    for name, plugin in sorted(plugins.items()):
        out.write(f"  {name}\n")
        out.write(f"      {getattr(plugin, 'description', '')}\n")
        out.write(f"      ARGS: {getattr(plugin, 'argumentHelp', '')}\n")
    out.write("\nA realm plugin is an object providing IPlugin and "
              "ftpkit.interfaces.IRealmPlugin in a module of a "
              "twisted/plugins/ directory on sys.path (docs/writing-a-realm"
              ".rst).\n")
    for text in failedImports:
        out.write(f"Skipped, failed to import: {text}\n")
    for text in unusable:
        out.write(f"Skipped, unusable: {text}\n")


def findRealm(spec, option="--realm"):
    """
    Look up the realm named by a C{--realm NAME[:ARGS]} value.

    @param spec: C{"NAME"} or C{"NAME:ARGS"}.
    @param option: the option that gave it, for the error message.
    @return: C{(plugin, argument)}, C{argument} being C{""} when absent.
    @raise usage.UsageError: when no installed realm has that name, naming
        the plugins skipped and the realm it most resembles (a misspelt
        or miscapitalised name), or saying what is wrong with the plugin
        of that name (it has no C{makeRealm}; its module has its class but
        no instance of it: L{forgottenInstance}); or more than one, naming
        them; or when
        C{spec} has a C{:} and nothing after it (C{filesystem:$DIR} with
        the variable unset served C{--root}, C{memory:} 256M: an empty
        value taken as the default, which the options never do).
    """
    name, colon, argument = spec.partition(":")
    failedImports, unusable, unusableNames = [], [], {}
    plugins = realmPlugins(failedImports, unusable, unusableNames)
    for why in unusable:
        if why.startswith(_ambiguous(name)):
            raise usage.UsageError(f"{option}: {why} (rename one)")
    if name not in plugins and name in unusableNames:
        raise usage.UsageError(
            f"{option}: the realm plugin {name!r} is installed but "
            f"unusable: {unusableNames[name]}")
    if name not in plugins:
        forgotten = forgottenInstance(name)
        if forgotten is not None:
            raise usage.UsageError(f"{option}: unknown realm {name!r}: "
                                   f"{forgotten}")
        known = ", ".join(sorted(plugins)) or "none"
        failed = ""
        if failedImports:
            failed = ("; plugin modules that failed to import: "
                      + ", ".join(failedImports))
        if unusable:
            failed += "; unusable realm plugins: " + ", ".join(unusable)
        close = difflib.get_close_matches(name.lower(), sorted(plugins), 1)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        raise usage.UsageError(f"{option}: unknown realm {name!r} (installed: "
                               f"{known}{failed}){guess}")
    if colon and not argument:
        raise usage.UsageError(
            f"{option}: {spec!r} has nothing after ':' (a variable left "
            f"unset?): give {name}'s argument, or leave out the ':'")
    return plugins[name], argument


def forgottenInstance(name):
    """
    @param name: a realm name no installed plugin has.
    @return: what to do when a plugin module has a realm plugin class of
        that C{name} but no instance of it (Twisted finds plugin objects,
        not classes), or C{None}.
    """
    for cls in uninstantiated(IRealmPlugin):
        if getattr(cls, "name", None) == name:
            return (f"{describePlugin(cls)[:-1]} is a class, and the module "
                    f"has no instance of it: add "
                    f"'{cls.__name__[:1].lower()}{cls.__name__[1:]} = "
                    f"{cls.__name__}()' to it)")
    return None


def buildRealm(plugin, argument, options, option):
    """
    Make a plugin's realm, its refusal of the argument being a usage error.

    @param plugin: the L{IRealmPlugin}.
    @param argument: the text after C{NAME:}.
    @param options: the parsed server options given to C{makeRealm}.
    @param option: how the command line named it (C{"--realm"},
        C{"--vhost NAME"}), for the error message.
    @return: the realm.
    @raise usage.UsageError: when C{makeRealm} raised C{ValueError}, or an
        C{OSError} (a file its argument names that cannot be read): one
        line naming the option, not an error of standard output's; when
        it raised C{ImportError} (the module of its realm, imported in
        C{makeRealm}, is missing or broken): one line naming the plugin;
        or
        when what it gave has no C{requestAvatar} (C{None}, say: the
        server would start, and answer every login with a traceback), or
        is a class rather than a realm (C{return MyRealm}, whose
        C{requestAvatar} is a method of its instances: the server
        started, and answered every login C{451}).
    """
    try:
        realm = plugin.makeRealm(argument, options)
    except (ValueError, OSError) as e:
        raise usage.UsageError(f"{option}: {e}")
    except ImportError as e:
        raise usage.UsageError(
            f"{option}: the realm plugin {plugin.name!r} failed to import "
            f"its realm: {type(e).__name__}: {e}")
    if isinstance(realm, type) and isinstance(inspect.getattr_static(
            realm, "requestAvatar", None), types.FunctionType):
        raise usage.UsageError(
            f"{option}: the realm plugin {plugin.name!r} gave the class "
            f"{realm.__qualname__}, not a realm: call it, "
            f"{realm.__qualname__}(...)")
    if not callable(getattr(realm, "requestAvatar", None)):
        raise usage.UsageError(
            f"{option}: the realm plugin {plugin.name!r} gave {realm!r},"
            f" not a realm (no requestAvatar)")
    return realm


def servesRealm(plugin, argument, what):
    """
    Ask a realm plugin whether its realm, built from C{argument}, uses
    what an option gives it: its optional C{servesRoot(argument)}
    (C{--root}, C{--vhost-root}) or C{servesHomes(argument)}
    (C{--home-per-user}). A plugin without the method is taken to.

    @param plugin: an L{IRealmPlugin}.
    @param argument: the text after its name.
    @param what: C{"Root"} or C{"Homes"}.
    @return: whether the realm uses it.
    """
    ask = getattr(plugin, "serves" + what, None)
    return ask is None or bool(ask(argument))


def _anyServes(options, vhostSpecs, what):
    """
    @param options: parsed L{ftpkit.deploy.tap.Options}.
    @param vhostSpecs: the C{REALM[:ARGS]} of each C{--vhost}.
    @param what: C{"Root"} or C{"Homes"} (L{servesRealm}).
    @return: whether the default realm or any C{--vhost}'s serves it.
    """
    specs = [(options["realm"], "--realm")]
    specs += [(spec, "--vhost") for spec in vhostSpecs]
    return any(servesRealm(*findRealm(spec, option), what)
               for spec, option in specs)


def unusedHomes(options, vhostSpecs=()):
    """
    Tell whether C{--home-per-user} was given where no realm of the
    server (the default one, a C{--vhost}'s) can have homes per user:
    C{memory}, one tree for every user, ignores it. (C{users:PATH} and
    C{pg:DSN} take it and give each user their entry's home, as
    documented.) A warning at start, not a usage error, so that a
    deployment started with it before keeps starting.

    @param options: parsed L{ftpkit.deploy.tap.Options}.
    @param vhostSpecs: the C{REALM[:ARGS]} of each C{--vhost}.
    @return: the warning's text naming the realm, or C{None}.
    """
    if not options.get("home-per-user") or _anyServes(
            options, vhostSpecs, "Homes"):
        return None
    return (f"--home-per-user: --realm {options['realm'].partition(':')[0]} "
            "has one tree for every user, no homes (nor has any --vhost's "
            "realm): the option is not used")


def unusedRoot(options, vhostSpecs=()):
    """
    Tell whether a C{--root} was given where no realm of the server (the
    default one, a C{--vhost}'s) serves it: C{--realm memory},
    C{fsspec:URL} or C{filesystem:DIR} (which serves C{DIR}) ignore it,
    and the operator sees other files than the directory named. A warning
    at start, not a usage error, so that a deployment started with it
    before keeps starting.

    @param options: parsed L{ftpkit.deploy.tap.Options}; C{root-given}
        holds C{--root}'s directory when the option was given.
    @param vhostSpecs: the C{REALM[:ARGS]} of each C{--vhost}.
    @return: the warning's text naming the realm, or C{None}.
    """
    if not options.get("root-given") or _anyServes(
            options, vhostSpecs, "Root"):
        return None
    return (f"--root: --realm {options['realm']} serves no --root (nor "
            "does any --vhost's realm): the option is not used")
