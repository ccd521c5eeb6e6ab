"""Re-encrypt every sensitive column under the current data key (`python -m manage rotate-keys`).

Columns are found by the RISK-3 naming convention: every `*_cipher` field of every model
Tortoise knows, so columns added by later features are covered without registering them.
Rotation goes in primary-key batches, one transaction per batch; a value already under the current key is left alone
(a second run rotates nothing), and each row is rewritten by a conditional UPDATE on its old
token, so a value the application rewrote meanwhile is not overwritten. A token no
configured key opens is counted as failed and left as it is (the command then exits 1: do
not drop the old key yet). Blind indexes (`*_hash`) do not depend on DATA_KEYS and stay.

Key rotation, step by step: generate a key (`Fernet.generate_key()`), deploy
DATA_KEYS=new,old, run `python -m manage rotate-keys` until it reports no failure, deploy
DATA_KEYS=new.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import Tortoise
from tortoise.fields.relational import RelationalField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from services.core import sensitive

SUFFIX = "_cipher"


@dataclass
class ColumnReport:
    model: str
    column: str
    scanned: int = 0  # non-empty values read
    rotated: int = 0  # rewritten under the current key
    failed: int = 0  # no configured key opens them

    def __str__(self) -> str:
        return f"{self.model}.{self.column}: {self.scanned} values, {self.rotated} rotated, {self.failed} undecryptable"


def cipher_columns() -> list[tuple[type[Model], str]]:
    """(model, field name) of every `*_cipher` column, in a stable order."""
    found = []
    for app in Tortoise.apps.values():
        for model in app.values():
            for name, field in model._meta.fields_map.items():
                if name.endswith(SUFFIX) and not isinstance(field, RelationalField):
                    found.append((model, name))
    return sorted(found, key=lambda mc: (mc[0].__name__, mc[1]))


async def rotate_column(model: type[Model], column: str, batch_size: int = 500) -> ColumnReport:
    report = ColumnReport(model.__name__, column)
    pk = model._meta.pk_attr
    last = None
    while True:
        qs = model.filter(**{f"{column}__isnull": False})
        if last is not None:
            qs = qs.filter(**{f"{pk}__gt": last})
        rows = await qs.order_by(pk).limit(batch_size).values_list(pk, column)
        changes = []
        for key, token in rows:
            if not token:
                continue
            report.scanned += 1
            if sensitive.current_key_encrypted(token):
                continue
            try:
                changes.append((key, token, sensitive.rotate(token)))
            except ValueError:
                report.failed += 1
        if changes:
            async with in_transaction(model._meta.default_connection):  # one commit per batch
                for key, token, fresh in changes:
                    report.rotated += await model.filter(**{pk: key, column: token}).update(**{column: fresh})
        if len(rows) < batch_size:
            return report
        last = rows[-1][0]


async def rotate_all(batch_size: int = 500) -> list[ColumnReport]:
    return [await rotate_column(model, column, batch_size) for model, column in cipher_columns()]
