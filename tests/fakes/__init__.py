"""Loopback fakes of the providers' wire formats."""

SECRET_KEY = "sk-test-abcdefghijklmnop0123456789"  # what the fakes are called with; must never leak
