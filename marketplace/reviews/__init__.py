"""Reviews: a company rates the provider of a closed booking, once; the provider replies once."""
