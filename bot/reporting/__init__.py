"""A report from a shop owner: the draft's steps, the grid it falls in, its first card."""
