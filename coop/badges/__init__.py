"""月月红: monthly red themes, badges and their awards."""
