"""Read and parse lernnetz input files into plain records.

The loaders know files, formats and validation. They never import neo4j or fastapi:
the graph stores and the API consume the records they return.
"""

from lernnetz.loaders.errors import InputError, Problem

__all__ = ["InputError", "Problem"]
