"""Command categories: our names, and the seeds' module paths (DISABLED_COMMAND_CATEGORIES) mapped onto them."""

from __future__ import annotations

from collections.abc import Iterable

CATEGORIES = (
    "file_operations",
    "execute_code",
    "user_interaction",
    "system",
    "memory",
    "web",
    "image",
    "git",
    "mcp",
)
# AutoGPT's command modules, as its .env.template lists them for DISABLED_COMMAND_CATEGORIES
SEED_MODULES = {
    "autogpt.commands.file_operations": "file_operations",
    "autogpt.commands.execute_code": "execute_code",
    "autogpt.commands.user_interaction": "user_interaction",
    "autogpt.commands.system": "system",
    "autogpt.app": "system",
    "autogpt.commands.web_search": "web",
    "autogpt.commands.web_selenium": "web",
    "autogpt.commands.web_playwright": "web",
    "autogpt.commands.image_gen": "image",
    "autogpt.commands.git_operations": "git",
}


def category_names(values: Iterable[str]) -> list[str]:
    """Each value as one of our categories; an unknown one is an error naming what is accepted."""
    names = []
    for value in values:
        name = SEED_MODULES.get(value, value)
        if name not in CATEGORIES:
            known = ", ".join([*CATEGORIES, *SEED_MODULES])
            raise ValueError(f"unknown command category {value!r}; use one of: {known}")
        names.append(name)
    return names
