"""The TM Forum spec files are the contract: request bodies are validated against them.

The v4 swagger files ship inside the package (Apache-2.0, unmodified). Each definition becomes a
JSON Schema (draft 4, as swagger 2.0 uses) validator; the same schemas tell the filter compiler
which attributes are arrays and which leaves are numbers or booleans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from ossbss.kernel.errors import InvalidInput

LeafType = Literal["string", "number", "boolean", "object", "unknown"]


@dataclass(frozen=True)
class PathShape:
    """For each segment of a dotted path: is it an array? And the leaf's JSON type."""

    arrays: tuple[bool, ...]
    leaf: LeafType


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.definitions: dict[str, Any] = document.get("definitions", {})
        self.base_path: str = document.get("basePath", "/").rstrip("/")
        self._validators: dict[str, Draft4Validator] = {}

    def validate(self, definition: str, instance: Any, *, partial: bool = False) -> None:
        """Raise InvalidInput naming the first offending field, or return quietly.

        ``partial`` is for merge patches: a patch names only what changes, so the top-level
        ``required`` list (which some ``_Update`` definitions carry) does not apply to it.
        """
        validator = self._validator(definition)
        errors = [
            error
            for error in validator.iter_errors(instance)
            if not (partial and error.validator == "required" and not error.absolute_path)
        ]
        errors.sort(key=_error_sort_key)
        if errors:
            raise _to_invalid_input(errors[0])

    def properties(self, definition: str) -> set[str]:
        return set(self._resolve(self.definitions[definition]).get("properties", {}))

    def shape(self, definition: str, segments: list[str]) -> PathShape:
        schema: dict[str, Any] | None = self._resolve(self.definitions[definition])
        arrays: list[bool] = []
        for segment in segments:
            prop = self._property(schema, segment) if schema is not None else None
            if prop is None:
                schema = None
                arrays.append(False)
                continue
            if prop.get("type") == "array":
                arrays.append(True)
                schema = self._resolve(prop.get("items", {}))
            else:
                arrays.append(False)
                schema = prop
        return PathShape(tuple(arrays), _leaf_type(schema))

    def _property(self, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        prop = schema.get("properties", {}).get(name)
        return None if prop is None else self._resolve(prop)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[1]]
        if "allOf" in schema:
            merged: dict[str, Any] = {"properties": {}}
            for part in schema["allOf"]:
                resolved = self._resolve(part)
                merged["properties"].update(resolved.get("properties", {}))
            merged["properties"].update(schema.get("properties", {}))
            return merged
        return schema

    def _validator(self, definition: str) -> Draft4Validator:
        if definition not in self._validators:
            schema = {"$ref": f"#/definitions/{definition}", "definitions": self.definitions}
            # The format checker covers date-time (rfc3339-validator) and uri
            # (rfc3986-validator): both packages are dependencies for exactly this.
            self._validators[definition] = Draft4Validator(
                schema, format_checker=Draft4Validator.FORMAT_CHECKER
            )
        return self._validators[definition]


def _leaf_type(schema: dict[str, Any] | None) -> LeafType:
    if schema is None:
        return "unknown"
    kind = schema.get("type")
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "string":
        return "string"
    if kind == "object" or "properties" in schema:
        return "object"
    return "unknown"


def _error_sort_key(error: ValidationError) -> tuple[int, str]:
    return (len(error.absolute_path), ".".join(str(p) for p in error.absolute_path))


def _to_invalid_input(error: ValidationError) -> InvalidInput:
    path = [str(part) for part in error.absolute_path]
    expected: Any = error.validator_value
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in expected if name not in error.instance]
        where = ".".join([*path, missing[0]]) if missing else ".".join(path)
        return InvalidInput("Missing mandatory attribute", field=where, detail="is required")
    field: str | None = ".".join(path) or None
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in expected)
        return InvalidInput("Invalid value", field=field, detail=f"must be one of: {allowed}")
    if error.validator == "type":
        return InvalidInput("Invalid type", field=field, detail=f"must be {expected}")
    if error.validator == "format":
        return InvalidInput("Invalid format", field=field, detail=f"must be a valid {expected}")
    return InvalidInput("Invalid value", field=field, detail=error.message)


@cache
def load_spec(filename: str) -> Spec:
    text = files("ossbss.tmf").joinpath("specs", filename).read_text(encoding="utf-8")
    return Spec(json.loads(text))
