"""Patch moto's Athena so executions run (see :mod:`.engine`) and report like Athena.

moto 5.2.5 records queries without running them. Here ``StartQueryExecution`` runs the
statement in the caller's account, and ``GetQueryExecution``/``GetQueryResults`` report
state, ``StateChangeReason``, statistics, ``DataManifestLocation`` and the real rows.
Databases listed by Athena are the caller's Glue databases, as on AWS.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextvars
import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from moto.athena import models, responses
from moto.core.exceptions import JsonRESTError

from . import catalog as cat
from .engine import Outcome, ResultPages, run

MAX_PAGE = 1000
#: How long StartQueryExecution waits for the engine before returning a RUNNING query.
SYNC_SECONDS = 20.0
_executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="athena-engine")
_CACHE_LIMIT = 16
#: Readers of recent results too large to keep in memory, by execution id.
_result_cache: "OrderedDict[str, ResultPages]" = OrderedDict()
_result_lock = threading.Lock()
_originals: dict[str, Any] = {}
#: The IAM principal ARN of the StartQueryExecution request being handled (set by the response).
_caller: contextvars.ContextVar[str | None] = contextvars.ContextVar("athena_caller", default=None)


class InvalidRequest(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestException", message)


def _output_dir(config: dict[str, Any] | None, workgroup: Any) -> str:
    """Where results go: the workgroup's location if enforced, else the request's, else the workgroup's."""
    wg_config = (workgroup.configuration if workgroup else {}) or {}
    wg_location = (wg_config.get("ResultConfiguration") or {}).get("OutputLocation")
    requested = (config or {}).get("OutputLocation")
    location = wg_location if (wg_config.get("EnforceWorkGroupConfiguration") and wg_location) else (requested or wg_location)
    if not location:
        raise InvalidRequest(
            "No output location provided. An output location is required either through the Workgroup "
            "result configuration setting or as an API input."
        )
    return location if location.endswith("/") else location + "/"


def start_query_execution(
    self: models.AthenaBackend,
    query: str,
    context: dict[str, Any] | None,
    config: dict[str, Any] | None,
    workgroup: str | None,
    execution_parameters: list[str] | None,
) -> str:
    """Run the statement; return when it is done, or after :data:`SYNC_SECONDS` with it still RUNNING.

    Short queries are final by the time the id is returned (deterministic runs); a long one
    keeps running in the background, as on Athena, so no HTTP call waits past the timeout.
    """
    group = self.work_groups.get(workgroup or "primary")
    output_dir = _output_dir(config, group)
    execution = models.Execution(query=query, context=context, config=None, workgroup=group, execution_parameters=execution_parameters)
    execution.config = dict(config or {})
    principal = _caller.get() or f"arn:aws:iam::{self.account_id}:root"  # who Lake Formation checks
    execution.principal = principal  # type: ignore[attr-defined]
    execution._transitions = [("QUEUED", "RUNNING")]  # while the engine runs, others see RUNNING at most
    self.executions[execution.id] = execution
    database = (context or {}).get("Database") if isinstance(context, dict) else None
    future = _executor.submit(run, self.account_id, self.region_name, execution.id, query, database, output_dir, execution_parameters, principal)
    future.add_done_callback(lambda done: _finish(execution, output_dir, done.result()))
    try:
        _finish(execution, output_dir, future.result(timeout=SYNC_SECONDS))  # the callback may still be pending
    except concurrent.futures.TimeoutError:
        pass
    return execution.id


def start_query_execution_response(self: responses.AthenaResponse) -> Any:
    """StartQueryExecution, remembering who calls: the engine runs the query as that principal.

    The caller's access key resolves to its IAM role or user (an assumed-role session counts
    as its role, as Lake Formation grants are made to the role).
    """
    from ..identity import caller_of

    token = _caller.set(caller_of(self).principal_arn)
    try:
        return _originals["start_response"](self)
    finally:
        _caller.reset(token)


def _finish(execution: models.Execution, output_dir: str, outcome: Outcome) -> None:
    execution.config["OutputLocation"] = outcome.output_location or f"{output_dir}{execution.id}.csv"
    execution.end_time = execution.start_time + outcome.engine_ms / 1000.0
    execution.outcome = outcome  # type: ignore[attr-defined]
    # Progress QUEUED → RUNNING → final through moto's state manager (immediate by default).
    execution._transitions = [("QUEUED", "RUNNING"), ("RUNNING", outcome.state)]


def _get_execution(backend: models.AthenaBackend, exec_id: str) -> models.Execution:
    execution = backend.executions.get(exec_id)
    if execution is None:
        raise InvalidRequest(f"QueryExecution {exec_id} was not found")
    return execution


def get_query_execution_response(self: responses.AthenaResponse) -> str:
    exec_id = self._get_param("QueryExecutionId")
    execution = _get_execution(self.athena_backend, exec_id)
    execution.advance()
    return json.dumps({"QueryExecution": _describe(execution)})


def batch_get_query_execution_response(self: responses.AthenaResponse) -> str:
    """BatchGetQueryExecution (awswrangler's result cache uses it); unknown ids are reported, not raised."""
    found, missing = [], []
    for exec_id in self._get_param("QueryExecutionIds") or []:
        execution = self.athena_backend.executions.get(exec_id)
        if execution is None:
            missing.append({"QueryExecutionId": exec_id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": "QueryExecution not found"})
        else:
            found.append(_describe(execution))
    return json.dumps({"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing})


def _describe(execution: models.Execution) -> dict[str, Any]:
    """A ``QueryExecution`` structure as GetQueryExecution returns it."""
    exec_id = execution.id
    outcome: Outcome | None = getattr(execution, "outcome", None)
    state = execution.status
    final = state in ("SUCCEEDED", "FAILED", "CANCELLED")
    status: dict[str, Any] = {"State": state, "SubmissionDateTime": execution.start_time}
    if final:
        status["CompletionDateTime"] = execution.end_time
    if outcome and state == "FAILED" and outcome.reason:
        status["StateChangeReason"] = outcome.reason
        error_type = outcome.error_type or (1100 if "NOT_FOUND" in outcome.reason else 1000)
        status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": error_type, "Retryable": False, "ErrorMessage": outcome.reason}
    engine_ms = outcome.engine_ms if outcome and final else 0
    statistics: dict[str, Any] = {
        "EngineExecutionTimeInMillis": engine_ms,
        "DataScannedInBytes": outcome.scanned_bytes if outcome and final else 0,
        "TotalExecutionTimeInMillis": engine_ms + 1 if final else 0,
        "QueryQueueTimeInMillis": 0,
        "ServicePreProcessingTimeInMillis": 0,
        "QueryPlanningTimeInMillis": 0,
        "ServiceProcessingTimeInMillis": 1 if final else 0,
        "ResultReuseInformation": {"ReusedPreviousResult": False},
    }
    if outcome and final and state == "SUCCEEDED" and outcome.manifest_location:
        statistics["DataManifestLocation"] = outcome.manifest_location
    statement_type = outcome.statement_type if outcome else "DML"
    result: dict[str, Any] = {
        "QueryExecutionId": exec_id,
        "Query": execution.query,
        "StatementType": statement_type,
        "ResultConfiguration": execution.config,
        "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
        "QueryExecutionContext": execution.context or {},
        "Status": status,
        "Statistics": statistics,
        "WorkGroup": execution.workgroup.name if execution.workgroup else "primary",
        "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
    }
    if outcome and outcome.substatement_type:
        result["SubstatementType"] = outcome.substatement_type
    if execution.execution_parameters is not None:
        result["ExecutionParameters"] = execution.execution_parameters
    return result


def _result_page(execution: models.Execution, outcome: Outcome, start: int, size: int) -> tuple[list[list[str | None]], bool]:
    """Rows ``start … start+size-1`` of the result and whether more follow (large results stream from S3)."""
    if outcome.rows is not None:
        return outcome.rows[start : start + size], len(outcome.rows) > start + size
    from .. import s3_objects

    try:
        bucket, key = s3_objects.split_uri(outcome.output_location or "")
        path = s3_objects.local_file(bucket, key)  # the object as it is now in S3
    except (KeyError, LookupError, ValueError) as exc:
        raise InvalidRequest(f"Unable to read query results at {outcome.output_location}: {exc}") from exc
    with _result_lock:
        pages = _result_cache.get(execution.id)
        if pages is None or pages.path != path:
            pages = _result_cache[execution.id] = ResultPages(path, len(outcome.column_info))
        _result_cache.move_to_end(execution.id)
        while len(_result_cache) > _CACHE_LIMIT:
            _result_cache.popitem(last=False)
    return pages.page(start, size)


def get_query_results_response(self: responses.AthenaResponse) -> str:
    exec_id = self._get_param("QueryExecutionId")
    max_results = int(self._get_param("MaxResults") or MAX_PAGE)
    if not 1 <= max_results <= MAX_PAGE:
        raise InvalidRequest(f"MaxResults must be between 1 and {MAX_PAGE}")
    token = self._get_param("NextToken")
    execution = _get_execution(self.athena_backend, exec_id)
    state = execution.status
    outcome: Outcome | None = getattr(execution, "outcome", None)
    if state in ("QUEUED", "RUNNING"):
        raise InvalidRequest(f"Query has not yet finished. Current state: {state}")
    if state != "SUCCEEDED" or outcome is None:
        reason = f"\n{outcome.reason}" if outcome and outcome.reason else ""
        raise InvalidRequest(f"Query did not finish successfully. Final query state: {state}{reason}")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])
        except Exception as exc:  # noqa: BLE001
            raise InvalidRequest("The NextToken is not valid") from exc
    page, more = _result_page(execution, outcome, start, max_results)
    body: dict[str, Any] = {
        "UpdateCount": 0,
        "ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page],
            "ResultSetMetadata": {"ColumnInfo": outcome.column_info},
        },
    }
    if more:
        body["NextToken"] = base64.urlsafe_b64encode(f"{exec_id}:{start + max_results}".encode()).decode()
    return json.dumps(body)


def get_database(self: models.AthenaBackend, catalog_name: str, database_name: str) -> dict[str, Any]:
    """Athena's GetDatabase reads the Glue database of the caller's account."""
    db = cat.find_database(self.account_id, self.region_name, database_name)
    if db is None or (catalog_name or "AwsDataCatalog").lower() != "awsdatacatalog":
        raise models.MetadataException(
            f"An error occurred (EntityNotFoundException) when calling the GetDatabase operation: "
            f"Database {database_name} not found."
        )
    return {"Name": db.name, "Description": db.input.get("Description", ""), "Parameters": db.input.get("Parameters") or {}}


def list_databases(self: models.AthenaBackend, catalog_name: str) -> list[models.Database]:
    if (catalog_name or "AwsDataCatalog").lower() != "awsdatacatalog":
        return []
    dbs = cat.glue_backend(self.account_id, self.region_name).databases.values()
    return sorted(
        (models.Database(catalog_name, db.name, db.input.get("Description", ""), db.input.get("Parameters") or {}) for db in dbs),
        key=lambda d: d.name,
    )


def stop_query_execution(self: models.AthenaBackend, exec_id: str) -> None:
    """StopQueryExecution: a finished query keeps its final state."""
    execution = _get_execution(self, exec_id)
    if execution.status not in ("SUCCEEDED", "FAILED", "CANCELLED"):
        execution.status = "CANCELLED"


def get_query_runtime_statistics_response(self: responses.AthenaResponse) -> str:
    """GetQueryRuntimeStatistics from what the engine measured (one output stage)."""
    exec_id = self._get_param("QueryExecutionId")
    execution = _get_execution(self.athena_backend, exec_id)
    outcome: Outcome | None = getattr(execution, "outcome", None)
    done = outcome is not None and execution.status in ("SUCCEEDED", "FAILED", "CANCELLED")
    ms = outcome.engine_ms if done and outcome else 0
    scanned = outcome.scanned_bytes if done and outcome else 0
    rows = outcome.output_rows if done and outcome else 0
    written = outcome.output_bytes if done and outcome else 0
    return json.dumps(
        {
            "QueryRuntimeStatistics": {
                "Timeline": {
                    "QueryQueueTimeInMillis": 0,
                    "ServicePreProcessingTimeInMillis": 0,
                    "QueryPlanningTimeInMillis": 0,
                    "EngineExecutionTimeInMillis": ms,
                    "ServiceProcessingTimeInMillis": 1 if done else 0,
                    "TotalExecutionTimeInMillis": ms + 1 if done else 0,
                },
                "Rows": {"InputRows": 0, "InputBytes": scanned, "OutputBytes": written, "OutputRows": rows},
                "OutputStage": {
                    "StageId": 0,
                    "State": execution.status,
                    "OutputBytes": written,
                    "OutputRows": rows,
                    "InputBytes": scanned,
                    "InputRows": 0,
                    "ExecutionTime": ms,
                },
            }
        }
    )


def install() -> None:
    """Patch moto's Athena backend and responses (idempotent)."""
    from moto.utilities.paginator import paginate

    if _originals:
        return
    # sqlglot logs a warning for every SHOW statement it passes through as a Command.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    _originals.update(
        start=models.AthenaBackend.start_query_execution,
        get_qe=responses.AthenaResponse.get_query_execution,
        get_qr=responses.AthenaResponse.get_query_results,
        start_response=responses.AthenaResponse.start_query_execution,
    )
    responses.AthenaResponse.start_query_execution = start_query_execution_response  # type: ignore[method-assign]
    models.AthenaBackend.start_query_execution = start_query_execution  # type: ignore[method-assign]
    models.AthenaBackend.stop_query_execution = stop_query_execution  # type: ignore[method-assign]
    models.AthenaBackend.get_database = get_database  # type: ignore[method-assign]
    models.AthenaBackend.list_databases = paginate(pagination_model=models.AthenaBackend.PAGINATION_MODEL)(list_databases)  # type: ignore[method-assign]
    responses.AthenaResponse.get_query_execution = get_query_execution_response  # type: ignore[method-assign]
    responses.AthenaResponse.get_query_results = get_query_results_response  # type: ignore[method-assign]
    responses.AthenaResponse.batch_get_query_execution = batch_get_query_execution_response  # type: ignore[attr-defined]
    responses.AthenaResponse.get_query_runtime_statistics = get_query_runtime_statistics_response  # type: ignore[method-assign]

