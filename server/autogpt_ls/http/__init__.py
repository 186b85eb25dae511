"""The Agent Protocol (/ap/v1) over HTTP: thin routes over its service; FastAPI is imported only here."""
