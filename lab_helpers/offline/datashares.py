"""The Redshift datashares behind DataZone's Redshift subscription grants, and ``DescribeDataShares``.

A completed Redshift grant shares the producer cluster's table with the consumer account
(:func:`lab_helpers.offline.grants.expose_redshift_table`); this module keeps the datashare
that stands for it and answers Redshift's ``DescribeDataShares`` (moto 5.2.5 lacks it):
"the status of any inbound or outbound datashares available in the specified account"
(Redshift API reference), so the producer's and the consumer's account both see it. Names
and namespace ids are the stand-in's (assumption: DataZone's own naming is not published).
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone
from typing import Any

_lock = threading.Lock()
#: datashare ARN -> the datashare (DescribeDataShares' DataShare shape)
_shares: dict[str, dict[str, Any]] = {}


def namespace_arn(account: str, region: str, store: str) -> str:
    """The cluster's (or workgroup's) namespace ARN, stable for the same account, Region and name."""
    return f"arn:aws:redshift:{region}:{account}:namespace:{uuid.uuid5(uuid.NAMESPACE_URL, f'{account}/{region}/{store}')}"


def _arn(region: str, source_account: str, source_store: str, source_schema: str, table: str, target_account: str) -> str:
    namespace = namespace_arn(source_account, region, source_store).rsplit(":", 1)[-1]
    return f"arn:aws:redshift:{region}:{source_account}:datashare:{namespace}/datazone_{source_schema}_{table}_{target_account}".lower()


def share(*, region: str, source_account: str, source_store: str, source_schema: str, table: str,
          target_account: str, **_: str) -> None:
    """Record the datashare of a completed grant (idempotent)."""
    arn = _arn(region, source_account, source_store, source_schema, table, target_account)
    now = datetime.now(timezone.utc)
    with _lock:
        _shares.setdefault(arn, {
            "DataShareArn": arn, "ProducerArn": namespace_arn(source_account, region, source_store),
            "AllowPubliclyAccessibleConsumers": False, "DataShareType": "INTERNAL",
            "DataShareAssociations": [{"ConsumerIdentifier": target_account, "Status": "ACTIVE", "ConsumerRegion": region,
                                       "CreatedDate": now, "StatusChangeDate": now}],
        })


def unshare(*, region: str, source_account: str, source_store: str, source_schema: str, table: str,
            target_account: str, **_: str) -> None:
    """Forget the datashare of a revoked grant."""
    with _lock:
        _shares.pop(_arn(region, source_account, source_store, source_schema, table, target_account), None)


def visible(account: str, region: str, arn: str | None = None) -> list[dict[str, Any]]:
    """Outbound (made by ``account``) and inbound (associated with it) datashares of the Region."""
    with _lock:
        found = [s for s in _shares.values() if s["DataShareArn"].split(":")[3] == region
                 and (s["DataShareArn"].split(":")[4] == account
                      or any(a["ConsumerIdentifier"] == account for a in s["DataShareAssociations"]))]
    return [s for s in found if arn is None or s["DataShareArn"] == arn]


_installed = False


def install() -> None:
    """Give moto's Redshift ``DescribeDataShares`` (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.core.responses import ActionResult
    from moto.redshift.responses import RedshiftResponse

    def describe_data_shares(self: Any) -> ActionResult:
        return ActionResult({"DataShares": visible(self.current_account, self.region, self._get_param("DataShareArn"))})

    RedshiftResponse.describe_data_shares = describe_data_shares  # type: ignore[attr-defined]
    _installed = True
