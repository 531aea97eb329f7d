"""`manage.py` commands of the releases app."""
