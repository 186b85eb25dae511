"""The Agent Protocol (/ap/v1) over HTTP: a thin adapter over the Stepper; FastAPI is imported only here."""
