"""Every error leaves as the protocol's `{"message": ...}` with a 4xx; a 500 only for a bug, and then logged with
its traceback (a client's mistake is no bug: it is answered, or at most one WARNING line).

The handlers are `async` though they never await: Starlette runs plain functions in its thread pool.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from autogpt_ls.agent.errors import (
    Conflict,
    CoreError,
    Forbidden,
    InvalidInput,
    LLMUnavailable,
    NotFound,
    NotWaiting,
    TaskBusy,
    TaskOver,
)

log = logging.getLogger(__name__)
STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    InvalidInput: 422,
    Forbidden: 403,
    TaskBusy: 409,
    NotWaiting: 409,
    TaskOver: 409,
    Conflict: 409,  # an undo or redo would overwrite files changed since; nothing was restored
    LLMUnavailable: 502,  # the LLM upstream failed, not us and not the client; the step can be retried
}


async def _core_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"message": str(exc)}, status_code=STATUS.get(type(exc), 400))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    message = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors) or "invalid request"
    return JSONResponse({"message": message, "detail": errors}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Starlette names only the first route's methods; a path may have several
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up before its body arrived: its doing, one line; the answer reaches no one."""
    log.warning("%s %s: the client disconnected before sending its whole request", request.method, request.url.path)
    return Response(status_code=400)


async def _bug(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"message": "internal error; see error.log"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CoreError, _core_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _bug)
