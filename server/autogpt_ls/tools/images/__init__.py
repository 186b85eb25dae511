"""Image providers for generate_image: one module per provider behind `ImageProvider` (base.py)."""
