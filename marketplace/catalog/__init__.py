"""The offer catalogue: offers, the rules for publishing them, and what search indexes of them."""
