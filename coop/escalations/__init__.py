"""街道吹哨: a need the community cannot solve, raised to the street and handled with its
departments (协同处置)."""
