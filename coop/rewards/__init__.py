"""积分超市: the points supermarket."""
