"""One router per resource; every route only maps parameters onto a ``graph`` function."""
