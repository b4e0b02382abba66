"""The HTTP layer: pages per audience and the JSON API. Views parse, call a service, render."""
