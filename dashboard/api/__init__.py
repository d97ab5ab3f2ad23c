"""What the Flask server serves besides the Dash pages: one module per blueprint, all listed in ``blueprints``."""
