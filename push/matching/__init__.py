"""Which policies fit which firms, and why: facets, scope, the matcher, 政策体检, and synthetic test data."""
