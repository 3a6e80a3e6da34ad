"""The hub's side of the plugin contract: loading entry points and calling one vendor (or destination)
at a time.

Plugin authors never import this package; they import ``hub.plugins``.
"""

from .registry import DestinationPlugin, LoadError, PluginRegistry, VendorPlugin, build_registry
from .dispatch import VendorHandle
from .destination_dispatch import DestinationHandle

__all__ = ["DestinationHandle", "DestinationPlugin", "LoadError", "PluginRegistry", "VendorPlugin", "VendorHandle",
           "build_registry"]
