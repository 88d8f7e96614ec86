"""Blueprints, registered one by one in `create_app`."""
