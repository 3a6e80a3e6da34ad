"""A configuration form generated from a plugin's marshmallow schema, and the raw dict read back from it.

Secret fields (``metadata={"secret": True}``) are write-only: rendered as empty password inputs,
and left out of the raw dict when blank so the stored value is kept (``integrations.merge_form``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, missing, validate
from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text, url, email, number, checkbox, select, password, json
    required: bool
    secret: bool
    help: str | None = None
    choices: tuple[str, ...] = ()
    step: str | None = None
    default: Any = None
    #: words for each choice, for people (the plugin's OneOf labels, else the value made readable)
    choice_labels: tuple[str, ...] = ()

    def shown(self, value: Any) -> str:
        """A stored value as a person reads it: Yes / No, a choice's label, else the value itself."""
        if self.kind == "checkbox":
            return "Yes" if value in (True, "true", "on", "1", 1) else "No"
        if self.kind == "select" and str(value) in self.choices:
            return self.choice_labels[self.choices.index(str(value))]
        return str(value)


def readable(value: str) -> str:
    """"active_users" -> "Active users": a choice without a label of its own."""
    text = str(value).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _choice_labels(field: fields.Field, choices: tuple[str, ...]) -> tuple[str, ...]:
    for validator in getattr(field, "validators", []):
        if isinstance(validator, validate.OneOf) and validator.labels and len(validator.labels) == len(choices):
            return tuple(str(label) for label in validator.labels)
    return tuple(readable(c) for c in choices)


def _kind(field: fields.Field) -> tuple[str, tuple[str, ...], str | None]:
    if field.metadata.get("secret"):
        return "password", (), None
    for validator in getattr(field, "validators", []):
        if isinstance(validator, validate.OneOf):
            return "select", tuple(str(c) for c in validator.choices), None
    if isinstance(field, fields.Boolean):
        return "checkbox", (), None
    if isinstance(field, fields.Integer):
        return "number", (), "1"
    if isinstance(field, fields.Number):
        return "number", (), "any"
    if isinstance(field, fields.Url):
        return "url", (), None
    if isinstance(field, fields.Email):
        return "email", (), None
    if isinstance(field, (fields.List, fields.Dict, fields.Nested, fields.Tuple)):
        return "json", (), None
    return "text", (), None


def form_fields(schema_cls: type[Schema]) -> list[FormField]:
    result = []
    for name, field in schema_cls().fields.items():
        if field.dump_only:
            continue
        kind, choices, step = _kind(field)
        key = field.data_key or name
        default = None if field.load_default is missing or callable(field.load_default) else field.load_default
        result.append(FormField(
            name=key, label=field.metadata.get("title") or field.metadata.get("label") or key.replace("_", " ").capitalize(),
            kind=kind, required=bool(field.required), secret=bool(field.metadata.get("secret")),
            help=field.metadata.get("description"), choices=choices, step=step, default=default,
            choice_labels=_choice_labels(field, choices)))
    return result


#: a form field's kind as a type name for scripts (``hub plugins --json``)
_TYPES = {"text": "string", "password": "string", "url": "url", "email": "email", "checkbox": "boolean",
          "select": "string", "json": "json"}


def schema_description(schema_cls: type[Schema]) -> list[dict[str, Any]]:
    """A plugin's configuration schema as plain data: name, type, required, secret, default, label, help, choices.
    A secret field's default is never shown."""
    return [{"name": f.name, "type": ("integer" if f.step == "1" else "number") if f.kind == "number" else _TYPES[f.kind],
             "required": f.required, "secret": f.secret, "default": None if f.secret else f.default,
             "label": f.label, "help": f.help, "choices": list(f.choices) or None}
            for f in form_fields(schema_cls)]


def initial_values(form: list[FormField], settings: dict | None) -> dict[str, Any]:
    """What the inputs show: stored non-secret settings, else defaults. Never a secret."""
    settings = settings or {}
    values: dict[str, Any] = {}
    for f in form:
        if f.secret:
            continue
        value = settings.get(f.name, f.default)
        values[f.name] = json.dumps(value) if f.kind == "json" and value is not None else value
    return values


def read_form(form: list[FormField], data: MultiDict, stored_secrets: set[str]) -> tuple[dict, dict, dict]:
    """(raw settings for the plugin, errors by field, values to show again without secrets)."""
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    shown: dict[str, Any] = {}
    for f in form:
        if f.kind == "checkbox":
            raw[f.name] = shown[f.name] = data.get(f.name) in ("on", "true", "1", "yes")
            continue
        value = (data.get(f.name) or "").strip()
        if not f.secret:
            shown[f.name] = value
        if value == "":
            if f.secret:
                if f.required and f.name not in stored_secrets:
                    errors[f.name] = "This field is required."
                continue  # blank keeps the stored secret
            if f.required:
                errors[f.name] = "This field is required."
            elif f.default is not None:
                raw[f.name] = f.default
            elif f.kind in ("text", "password"):
                raw[f.name] = ""
            continue
        if f.kind == "json":
            try:
                raw[f.name] = json.loads(value)
            except ValueError:
                errors[f.name] = "Enter valid JSON."
            continue
        raw[f.name] = value
    return raw, errors, shown
