"""The first edition of the rules (32 rules), frozen as it was, to verify the flags of codes recorded under it."""
