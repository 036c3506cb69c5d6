"""The basics every room uses: config, the district's map of grids, clock, catalogs, logging,
people, buttons and notices."""
