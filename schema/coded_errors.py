"""Every GraphQL error a client gets carries `extensions.code`, and outside DEBUG says nothing
about the schema it did not ask for.

Our own errors already have a code (ApiError, permission errors). The ones graphql-core makes
get a stable one, as Apollo Server names them:

- GRAPHQL_PARSE_FAILED: the document does not parse (or has more tokens than MAX_TOKENS);
- GRAPHQL_VALIDATION_FAILED: it does not validate against the schema (an unknown field or
  argument, a literal of the wrong type, the depth or alias limit, introspection when off);
- INVALID_INPUT: a variable's value cannot be coerced to its type (an Int over 32 bits, an
  unknown enum name, a malformed Date);
- INTERNAL_ERROR: an unexpected exception (masked as "Unexpected error." outside DEBUG).

Outside DEBUG, graphql-core's "Did you mean …?" suggestions (field, argument, type, enum
value and input field names) are cut from every message: they would list the schema to a
client that cannot introspect it. graphql-core 3.3 has a `hide_suggestions` flag, but
Strawberry does not pass it and some rules (scalar leafs) ignore it; the suggestion is always
the tail of the message, so it is cut there.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors
from strawberry.types.execution import PreExecutionError

from schema.telemetry import INTERNAL_ERROR, PARSE_FAILED, VALIDATION_FAILED, is_unexpected
from services.core.errors import ErrorCode

INVALID_INPUT = ErrorCode.INVALID_INPUT.value
SUGGESTION = " Did you mean "
UNEXPECTED = "Unexpected error."


def without_suggestion(message: str) -> str:
    cut = message.find(SUGGESTION)
    return message if cut < 0 else message[:cut]


class CodedErrors(MaskErrors):
    """MaskErrors (when `mask`), plus a code on every error, minus suggestions (when `hide_suggestions`)."""

    def __init__(self, *, mask: bool, hide_suggestions: bool) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=UNEXPECTED)
        self.mask = mask
        self.hide_suggestions = hide_suggestions

    def _code(self, error: GraphQLError) -> str:
        # Told apart by what Strawberry left in the execution context, not by parse/validate
        # hooks of our own: each hook costs every request a context manager.
        if is_unexpected(error):
            return INTERNAL_ERROR
        if isinstance(error, GraphQLSyntaxError):
            return PARSE_FAILED
        context = getattr(self, "execution_context", None)  # unset when a fast subscription asks
        if context is not None:
            if context.graphql_document is None:  # did not parse (or had too many tokens)
                return PARSE_FAILED
            if isinstance(context.result, PreExecutionError):  # parsed, refused before execution
                return VALIDATION_FAILED
        # Left: what execution reports without an exception of ours, i.e. variable coercion.
        return INVALID_INPUT if error.path is None else INTERNAL_ERROR

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self.shape(error) for error in errors]

    def shape(self, error: GraphQLError) -> GraphQLError:
        """The error as the client gets it (the fast subscriptions call this too)."""
        extensions = error.extensions or {}
        code = extensions.get("code") or self._code(error)
        if self.mask and is_unexpected(error):
            masked = self.anonymise_error(error)
            masked.extensions = {"code": code}
            return masked
        message = without_suggestion(error.message) if self.hide_suggestions else error.message
        if message == error.message and extensions.get("code"):
            return error
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions={**extensions, "code": code},
        )


def coded_errors(debug: bool) -> Callable[[], CodedErrors]:
    return lambda: CodedErrors(mask=not debug, hide_suggestions=not debug)
