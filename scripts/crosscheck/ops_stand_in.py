"""A permissive stand-in for the `ops` package, so Canonical's charm libraries can be imported for
their pure parts (databag models, builders) on a machine without ops. Every name resolves to a
do-nothing class; the few that the libraries use as real values are given their meaning here.
Used only by the cross-check scripts in this directory, which are run by hand.
"""

import importlib.util
import sys
import types


class _Any:
    def __init__(self, *args, **kwargs):
        pass

    def __class_getitem__(cls, item):
        return cls


class ModelError(Exception):
    pass


class SecretNotFoundError(ModelError):
    pass


class TooManyRelatedAppsError(ModelError):
    pass


class JujuVersion:
    has_secrets = True

    def __init__(self, version: str = "3.6.0"):
        self.version = version

    @staticmethod
    def from_environ():
        return JujuVersion()

    def __gt__(self, other):
        return True


class RelationRole:
    requires = "requires"
    provides = "provides"
    peer = "peer"


class _Module(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Any


def install() -> None:
    names = [
        "ops",
        "ops.charm",
        "ops.framework",
        "ops.model",
        "ops.jujuversion",
        "ops.pebble",
        "ops.main",
    ]
    for n in names:
        mod = _Module(n)
        mod.ModelError = ModelError
        mod.SecretNotFoundError = SecretNotFoundError
        mod.TooManyRelatedAppsError = TooManyRelatedAppsError
        mod.JujuVersion = JujuVersion
        mod.RelationRole = RelationRole
        sys.modules[n] = mod
    sys.modules["ops"].charm = sys.modules["ops.charm"]
    sys.modules["ops"].framework = sys.modules["ops.framework"]
    sys.modules["ops"].model = sys.modules["ops.model"]
    sys.modules["ops"].pebble = sys.modules["ops.pebble"]


def load(path: str, name: str):
    """Imports the library file at `path` as module `name`, with the stand-in installed."""
    install()
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
