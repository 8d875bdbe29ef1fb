"""keel: shared base layer (errors, configuration, paths, rendering) below every domain package."""

__version__ = "0.1.0"
