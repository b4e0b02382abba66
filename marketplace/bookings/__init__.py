"""Bookings: a company's request, the provider's quote, the agreement, delivery (issue 9 §4)."""
