"""The hub's side of the plugin contract: loading entry points and calling one vendor at a time.

Plugin authors never import this package; they import ``hub.plugins``.
"""

from .registry import LoadError, PluginRegistry, VendorPlugin, build_registry
from .dispatch import VendorHandle

__all__ = ["LoadError", "PluginRegistry", "VendorPlugin", "VendorHandle", "build_registry"]
