"""The 公示栏: what anyone may read about a community, without signing in."""
