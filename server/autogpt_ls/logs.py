"""Log files under the data folder, with every known secret masked before it is written anywhere."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

from autogpt_ls.secrets_mask import SecretMask

if TYPE_CHECKING:
    from autogpt_ls.settings import Settings


class RedactSecrets(logging.Filter):
    """Masks secret values in the fully formatted message, whatever logged it (our code or an SDK)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._mask = SecretMask(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._mask:
            record.msg, record.args = self._mask(record.getMessage()), None
        return True


def redacted(handler: logging.Handler, secrets: list[str]) -> logging.Handler:
    """`handler` with secrets masked, for logs that leave through another channel (e.g. the editor)."""
    handler.addFilter(RedactSecrets(secrets))
    return handler


def configure_logging(settings: Settings, *, debug: bool) -> Path:
    """activity.log (info), error.log (errors) and, with --debug, debug.log, each rotated at LOG_MAX_BYTES;
    returns the logs folder."""
    folder: Path = settings.data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    redact = RedactSecrets(settings.secrets())
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    # pygls logs every JSON-RPC message (file contents, prompts) at INFO: only worth keeping when debugging.
    logging.getLogger("pygls").setLevel(logging.DEBUG if debug else logging.WARNING)
    outputs = [("activity.log", logging.INFO), ("error.log", logging.ERROR)]
    if debug:
        outputs.append(("debug.log", logging.DEBUG))
    for name, level in outputs:
        handler = RotatingFileHandler(
            folder / name, maxBytes=settings.log_max_bytes, backupCount=settings.log_backup_count, encoding="utf-8"
        )
        handler.setLevel(level)
        handler.setFormatter(fmt)
        handler.addFilter(redact)
        root.addHandler(handler)
    return folder
