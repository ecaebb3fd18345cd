"""Half-year terms: the 六个一 plan, its evidence, proposals and the rotating deputy."""
