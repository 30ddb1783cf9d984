"""A small IAM policy evaluator: AWS's documented evaluation logic for one policy set.

Sources (see ``docs/aws-behaviour/iam.md``):

* Evaluation: an explicit ``Deny`` wins, an ``Allow`` is needed, otherwise the request is
  implicitly denied (IAM User Guide, "Policy evaluation logic").
* ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?``; ``Resource``/
  ``NotResource`` match case-sensitively with ``*`` and ``?`` (IAM JSON policy elements).
* Conditions: every operator of a statement and every key of an operator must hold (AND);
  the values listed for one key are alternatives (OR). A key missing from the request
  context makes a condition false, except for negated operators (``StringNotEquals``,
  ``ArnNotLike``...), ``...IfExists`` and ``Null`` ("Condition operators").
  ``ForAllValues`` holds for a missing key, ``ForAnyValue`` does not ("Multivalued
  context keys").
* ``Principal``: ``"*"``; ``{"AWS": account id | account root ARN}`` admits every principal
  of that account; an IAM role or user ARN admits that principal (an assumed-role session
  counts as its role); ``{"Service": ...}`` admits only that service ("AWS JSON policy
  elements: Principal").

A request's ``resource`` of ``None`` means "not derived" (see :mod:`.authorization`): every
``Resource`` and ``NotResource`` then matches (an assumption, recorded in the ledger).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Union

ContextValue = Union[str, Sequence[str]]


class Decision(Enum):
    """Outcome of evaluating policies: explicit deny, allow, or nothing applied (implicit deny)."""

    DENY = "Deny"
    ALLOW = "Allow"
    NOT_APPLICABLE = "NotApplicable"


@dataclass(frozen=True)
class Principal:
    """Who makes a request, as a resource-based policy's ``Principal`` element sees it.

    ``arns`` are the ARNs a ``Principal``/``"AWS"`` entry may name (a role session is named by
    its role ARN and by its ``assumed-role`` ARN); ``service`` is set for a service principal.
    """

    account: str | None = None
    arns: frozenset[str] = field(default_factory=frozenset)
    service: str | None = None


@dataclass(frozen=True)
class Request:
    """What is evaluated: the action, the resource ARN (or None), the context keys."""

    action: str
    resource: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal: Principal | None = None


# --- matching helpers ----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``*`` matches any run of characters, ``?`` one character."""
    return _glob(pattern, ignore_case).match(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """``ArnLike``: each of the six colon-separated parts is matched on its own."""
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return glob_match(pattern, value)
    return all(glob_match(p, v) for p, v in zip(p_parts, v_parts))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_UNRESOLVED = "\x00unresolved\x00"


def substitute(text: str, context: Mapping[str, ContextValue]) -> str:
    """Replace policy variables ``${aws:username}`` from the context (single values only).

    ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters. A variable without a
    value leaves something no request value equals (AWS: the element does not match).
    """
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        key, _, default = name.partition(",")
        value = context.get(key.strip().lower())
        if isinstance(value, str):
            return value
        if default.strip().startswith("'"):
            return default.strip().strip("'")
        return _UNRESOLVED

    return _VARIABLE.sub(one, text)


# --- conditions ----------------------------------------------------------------------------


def _string_equals(p: str, v: str) -> bool:
    return p == v


def _string_equals_ic(p: str, v: str) -> bool:
    return p.lower() == v.lower()


def _string_like(p: str, v: str) -> bool:
    return glob_match(p, v)


def _bool(p: str, v: str) -> bool:
    return str(p).lower() == str(v).lower()


def _numeric(op: str):  # type: ignore[no-untyped-def]
    import operator

    fn = {"Equals": operator.eq, "NotEquals": operator.ne, "LessThan": operator.lt, "LessThanEquals": operator.le,
          "GreaterThan": operator.gt, "GreaterThanEquals": operator.ge}[op]

    def compare(p: str, v: str) -> bool:
        try:
            return bool(fn(float(v), float(p)))
        except ValueError:
            return False

    return compare


#: operator name → (value comparison, negated)
_OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ic, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ic, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric("Equals"), False),
    "NumericNotEquals": (_numeric("Equals"), True),
    "NumericLessThan": (_numeric("LessThan"), False),
    "NumericLessThanEquals": (_numeric("LessThanEquals"), False),
    "NumericGreaterThan": (_numeric("GreaterThan"), False),
    "NumericGreaterThanEquals": (_numeric("GreaterThanEquals"), False),
}


class UnsupportedCondition(ValueError):
    """A condition operator the evaluator does not know: the statement cannot be judged."""


def condition_holds(operator: str, key: str, policy_values: Any, context: Mapping[str, ContextValue]) -> bool:
    """Whether one ``operator: {key: values}`` entry holds for the request context."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    raw = context.get(key.lower())
    present = raw is not None and raw != [] and raw != ()
    wanted = [substitute(str(v), context) if isinstance(v, str) else str(v).lower() for v in _as_list(policy_values)]
    if name == "Null":
        # Null: "true" holds when the key is absent, "false" when present.
        return any((w.lower() == "true") == (not present) for w in wanted)
    if name not in _OPERATORS:
        raise UnsupportedCondition(operator)
    compare, negated = _OPERATORS[name]
    if not present:
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated

    def one(value: str) -> bool:
        hit = any(compare(w, value) for w in wanted)
        return not hit if negated else hit

    values = [str(v) for v in _as_list(raw)]
    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in values)
    if qualifier:
        raise UnsupportedCondition(operator)
    # a single-valued operator given several request values: AWS compares each (assumption: any)
    return any(one(v) for v in values)


def conditions_hold(condition: Mapping[str, Mapping[str, Any]] | None, context: Mapping[str, ContextValue]) -> bool:
    """All operators and all keys of a statement's ``Condition`` hold (AND)."""
    for operator, entries in (condition or {}).items():
        for key, values in entries.items():
            if not condition_holds(operator, key, values, context):
                return False
    return True


# --- statements ----------------------------------------------------------------------------


def _action_matches(patterns: Any, action: str) -> bool:
    return any(glob_match(p, action, ignore_case=True) for p in _as_list(patterns))


def _resource_matches(patterns: Any, resource: str | None, context: Mapping[str, ContextValue]) -> bool:
    if resource is None:
        return True
    return any(glob_match(substitute(p, context), resource) for p in _as_list(patterns))


def _account_principal(value: str) -> str | None:
    """The account id of an account principal (``"111122223333"`` or its root ARN), else None."""
    if re.fullmatch(r"\d{12}", value):
        return value
    match = re.fullmatch(r"arn:aws[\w-]*:iam::(\d{12}):root", value)
    return match.group(1) if match else None


def principal_matches(element: Any, principal: Principal | None) -> bool:
    """Whether a ``Principal`` element names the requester."""
    if principal is None:
        return False
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    for kind, values in element.items():
        for value in _as_list(values):
            if kind == "AWS":
                if value == "*":
                    return True
                account = _account_principal(value)
                if account is not None:
                    if principal.service is None and principal.account == account:
                        return True
                elif value in principal.arns:
                    return True
            elif kind == "Service" and principal.service is not None and value == principal.service:
                return True
    return False


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether the statement's action, resource, principal and conditions all match."""
    if "Action" in statement and not _action_matches(statement["Action"], request.action):
        return False
    if "NotAction" in statement and _action_matches(statement["NotAction"], request.action):
        return False
    if "Resource" in statement and not _resource_matches(statement["Resource"], request.resource, request.context):
        return False
    if "NotResource" in statement and request.resource is not None and _resource_matches(
        statement["NotResource"], request.resource, request.context
    ):
        return False
    if "Principal" in statement and not principal_matches(statement["Principal"], request.principal):
        return False
    if "NotPrincipal" in statement and principal_matches(statement["NotPrincipal"], request.principal):
        return False
    return conditions_hold(statement.get("Condition"), request.context)


def _document(policy: Mapping[str, Any] | str) -> Mapping[str, Any]:
    return json.loads(policy) if isinstance(policy, str) else policy


def evaluate(policies: Iterable[Mapping[str, Any] | str], request: Request) -> Decision:
    """Evaluate policy documents (dicts or JSON): DENY if any applicable Deny, else ALLOW if any Allow."""
    allowed = False
    for policy in policies:
        for statement in _as_list(_document(policy).get("Statement")):
            try:
                applies = statement_applies(statement, request)
            except UnsupportedCondition:
                # an operator we cannot judge: it never grants; a Deny with it is applied (fail closed)
                applies = statement.get("Effect") == "Deny"
            if not applies:
                continue
            if statement.get("Effect") == "Deny":
                return Decision.DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.NOT_APPLICABLE
