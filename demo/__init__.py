"""The offline demo: the real bot against the stand-in, with scripted people."""
