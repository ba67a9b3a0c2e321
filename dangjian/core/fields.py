"""Model fields for personal data: ``EncryptedTextField`` and its ``BlindIndexField`` sibling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from . import crypto


class EncryptedExact(Exact):
    """``field=""`` finds blank values; any other value cannot match ciphertext, so it is refused loudly."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if rhs not in ("", None):
            raise FieldError(f"{getattr(lhs, 'target', lhs)} is encrypted: search it through its BlindIndexField, not by value")
        super().__init__(lhs, rhs)


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with SM4-GCM; Python sees plaintext, the database never does.

    Not searchable; search through the sibling ``BlindIndexField``. Empty string and None are
    stored as they are (no personal data to protect).
    """

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self.crypto_context = f"{cls._meta.app_label}.{cls.__name__}.{name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), context=self.crypto_context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return EncryptedExact
        if lookup_name != "isnull":
            return None  # ciphertext cannot be compared; search the blind index instead
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):
    """Keyed HMAC of the normalised value of ``source``, filled on every insert and save."""

    def __init__(self, *args: Any, source: str = "", normaliser: str = "", **kwargs: Any) -> None:
        self.source = source
        self.normaliser = normaliser
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normaliser"] = self.normaliser
        return name, path, args, kwargs

    def _normalise(self) -> Callable[[str], str]:
        normalise = self.__dict__.get("_normaliser_function")
        if normalise is None:
            from django.utils.module_loading import import_string

            normalise = import_string(self.normaliser) if self.normaliser else str.strip
            self.__dict__["_normaliser_function"] = normalise
        return normalise

    def index_for(self, model: type[models.Model], raw: str) -> str | None:
        normalised = self._normalise()(raw or "")
        if not normalised:
            return None
        return crypto.blind_index(normalised, context=f"{model._meta.label}.{self.source}")

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        value = self.index_for(type(model_instance), getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


class MonthDayField(models.CharField):
    """ "MM-DD" of the date field ``source``, kept on insert and save (indexed anniversary lookups)."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        # the source field's own parsing, so "2001-07-01" given as text works as it does for the date itself
        day = model_instance._meta.get_field(self.source).to_python(getattr(model_instance, self.source))
        value = f"{day:%m-%d}" if day else ""
        setattr(model_instance, self.attname, value)
        return value
