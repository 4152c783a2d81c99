"""What readers see: the one Jinja2 renderer, keyboards and versioned callback data."""
