"""pytest plugin shipped with the hub (``pytest11`` entry point): fixtures for plugin authors."""
