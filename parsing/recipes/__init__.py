"""Training recipes that can be rerun as scripts (`python -m parsing.recipes.<name>`)."""
