"""JSON-RPC as this server speaks it: every request is answered, and a client's mistake costs one WARNING line.

pygls drops a message it cannot structure (a request without `params`, an ill-typed `textDocument/codeAction`)
with no answer, so the client waits forever, and logs each client error with a traceback at ERROR. Here the
envelope is checked and structured first, answering -32600 or -32602; pygls then dispatches what passed.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

import cattrs
from lsprotocol.types import EXIT, ResponseErrorMessage
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage
from pygls.protocol.language_server import LanguageServerProtocol

from autogpt_ls.lsp.framing import INVALID_REQUEST, Rejected

log = logging.getLogger(__name__)
INVALID_PARAMS = -32602
MsgId = int | str


class Refused(Exception):
    """A message that does not fit; `answer` says whether it was a request (notifications get no answer)."""

    def __init__(self, code: int, message: str, msg_id: MsgId | None, *, answer: bool = True) -> None:
        super().__init__(message)
        self.rejected = Rejected(code, message, msg_id)
        self.answer = answer


def _problems(error: Exception) -> str:
    """cattrs' reasons, short: a hostile message may carry thousands of them."""
    reasons = cattrs.transform_error(error) if isinstance(error, cattrs.BaseValidationError) else [str(error)]
    return "; ".join(reasons[:5])[:500]


def _valid_id(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


class RpcProtocol(LanguageServerProtocol):
    def accept(self, data: Any) -> None:
        """A parsed message: checked, structured, then dispatched by pygls; a request that fails is answered."""
        try:
            message = self._structure(data)
        except Refused as e:
            if e.answer:
                self.refuse(e.rejected)
            else:
                log.warning("ignored a notification: %s", e.rejected.message)
            return
        if message is not None:
            self.handle_message(message)

    def refuse(self, rejected: Rejected) -> None:
        log.warning("refused message %s: %s", rejected.msg_id, rejected.message)
        error = {"code": rejected.code, "message": rejected.message}
        self._send_data({"jsonrpc": self.VERSION, "id": rejected.msg_id, "error": error})

    def _structure(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise Refused(INVALID_REQUEST, "a message must be a JSON object", None)
        if "method" not in data and ("result" in data or "error" in data):
            return self._structure_response(data)
        msg_id = data.get("id")
        if "id" in data and not _valid_id(msg_id):
            raise Refused(INVALID_REQUEST, "id must be an integer or a string", None)
        request = "id" in data
        method = data.get("method")
        if data.get("jsonrpc") != self.VERSION or not isinstance(method, str):  # not a notification, if no method
            answer = request or not isinstance(method, str)
            raise Refused(INVALID_REQUEST, 'needs "jsonrpc": "2.0" and a string "method"', msg_id, answer=answer)
        if not isinstance(data.get("params"), dict | list | None):  # clients send null for "no params" too
            raise Refused(INVALID_PARAMS, "params must be an object or an array", msg_id, answer=request)
        if self._shutdown and method != EXIT:
            raise Refused(INVALID_REQUEST, "the server is shutting down", msg_id, answer=request)
        kind = self.get_message_type(method) or (JsonRPCRequestMessage if request else JsonRPCNotification)
        try:  # JSON-RPC allows leaving params out; pygls' and lsprotocol's types need the field
            return self._converter.structure({"params": None} | data, kind)
        except Exception as e:
            raise Refused(INVALID_PARAMS, f"invalid params for {method}: {_problems(e)}", msg_id, answer=request) from e

    def _structure_response(self, data: dict[str, Any]) -> Any:
        """The client's answer to one of our requests; one that does not fit fails that request, not the server."""
        msg_id: Any = data.get("id")
        kind = ResponseErrorMessage if "error" in data else self._result_types.pop(msg_id, None)
        try:
            return self._converter.structure(data, kind or JsonRPCResponseMessage)
        except Exception as e:
            log.warning("ignored an invalid response to %s: %s", msg_id, _problems(e))
            if (future := self._request_futures.pop(msg_id, None)) is not None:
                future.set_exception(JsonRpcInvalidParams(f"invalid response: {_problems(e)}"))
            return None

    def _send_handler_result(self, future: Future[Any], *, msg_id: MsgId) -> None:
        """A handler's error: a client's mistake as one WARNING line, our own fault with its traceback (logged,
        not sent: the client gets the exception's type and message)."""
        error = None if future.cancelled() else future.exception()
        if error is None:
            super()._send_handler_result(future, msg_id=msg_id)
            return
        self._request_futures.pop(msg_id, None)
        if isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError):
            log.warning("request %s: %s", msg_id, error)
            self._send_response(msg_id, error=error.to_response_error())
            return
        log.error("request %s failed", msg_id, exc_info=error)
        internal = JsonRpcInternalError(f"{type(error).__name__}: {error}"[:500])
        self._send_response(msg_id, error=internal.to_response_error())
