"""Team leads' figures: the digest, statistics, charts and exports, and who may see them."""
