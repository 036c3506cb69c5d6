"""The basics every room uses: config, clock, catalogs, logging, people, buttons, notices."""
