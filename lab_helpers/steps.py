"""The walkthrough's steps and what each needs, declared once.

Every notebook is a :class:`Step`: its number, persona, title, the blog's step, the
earlier notebooks it needs (derived from what it reads from the state and from AWS) and
the state keys it records. A step is *done* when its keys are in the state file. The
table feeds :data:`lab_helpers.state.PRODUCED_BY`, the preconditions of
``start_notebook``, :func:`lab_status`, the runner's personas and the dependency graph a
parallel runner walks (:func:`graph`, :func:`topological_order`).

Sides: the producer's notebooks run where the producer's credentials are, the consumer's
where the consumer's are (in a workshop, two machines with two state files); 00 and 99
belong to both. A key named ``producer_…``/``consumer_…`` belongs to that side (00 records
the prerequisites of each side whose data administrator works on the machine).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import PERSONAS

if TYPE_CHECKING:
    from .notebook import Lab

SIDES = ("producer", "consumer")


@dataclass(frozen=True)
class Step:
    """One notebook of the walkthrough."""

    number: str
    notebook: str
    persona: str  # "all" for setup and cleanup
    title: str
    walkthrough: str  # the blog's step it performs
    needs: tuple[str, ...] = ()  # numbers of the earlier notebooks it needs directly
    produces: tuple[str, ...] = ()  # state keys it records
    gives: str = ""  # what a later notebook needs from it, for "needs <gives>"
    runs_last: bool = False  # needs nothing to start, but a run schedules it after every other step (cleanup)
    #: Ids an earlier step records that this step's first key (a list of ids) must hold for it to be done:
    #: 09 is done for a consumer only when that consumer's requests are among the approved ones (a room).
    covers: tuple[str, ...] = ()

    @property
    def side(self) -> str:
        """``producer``, ``consumer`` or ``both``."""
        return PERSONAS.get(self.persona, "both")

    def keys_for(self, side: str) -> tuple[str, ...]:
        """The keys that show this step done on ``side`` (a key of the other side does not count)."""
        others = [s for s in SIDES if s != side] if side in SIDES else []
        return tuple(k for k in self.produces if not any(k.startswith(f"{o}_") for o in others))

    def done(self, state: Mapping[str, Any], side: str = "both") -> bool:
        """Whether the state holds this step's keys (for ``side``; ``both``: either side's)."""
        if self.number == "99":
            return bool(state.get("cleanup_completed_at")) and not any(
                s.done(state, side) for s in STEPS.values() if s.number not in ("00", "99"))
        if side == "both" and self.side == "both":
            return any(self.done(state, s) for s in SIDES)
        keys = self.keys_for(side)
        if not keys or any(state.get(k) in (None, "", [], {}) for k in keys):
            return False
        held = state.get(self.produces[0]) if self.covers else ()
        return all(state.get(k) in (None, "") or state.get(k) in held for k in self.covers)


_PREREQS = ("settings", "redshift_database", "producer_bucket", "producer_redshift", "producer_secret_arn",
            "consumer_bucket", "consumer_redshift", "consumer_secret_arn")

STEPS: dict[str, Step] = {s.number: s for s in (
    Step("00", "00_lab_setup", "all", "Lab setup", "Prerequisites: accounts, Redshift clusters (or workgroups) and secrets",
         (), _PREREQS, "the settings and prerequisites it records"),
    Step("01", "01_producer_admin_create_domain", "producer_admin", "Create the domain",
         "1) Create Amazon DataZone domain in producer", ("00",),
         ("domain_id", "domain_arn", "domain_name", "domain_account_id"), "the domain it creates"),
    Step("02", "02_producer_admin_request_association", "producer_admin", "Request the association",
         "2) Send domain association request from producer to consumer", ("01",),
         ("resource_share_arn", "resource_share_name"), "the association request it sends"),
    Step("03", "03_consumer_admin_accept_association", "consumer_admin", "Accept the association",
         "3) Accept domain association in consumer", ("00", "02"),
         ("association_accepted",), "the association it accepts"),
    Step("04", "04_producer_admin_add_users", "producer_admin", "Add the data users",
         "4) Add data users to the domain", ("01", "03"),
         ("publisher_user_profile_id", "subscriber_user_profile_id", "publisher_principal_arn",
          "subscriber_principal_arn"), "the users it adds"),
    Step("05", "05_publisher_create_projects_and_environments", "publisher", "Publish projects and environments",
         "5) Create publish projects; 6) create Glue and Redshift environments (producer)", ("00", "04"),
         ("glue_publish_project_id", "redshift_publish_project_id", "glue_publish_environment_id",
          "redshift_publish_environment_id"), "the publish projects and environments it creates"),
    Step("06", "06_publisher_publish_assets", "publisher", "Publish the assets",
         "7) Create and run data sources to publish assets to the business catalog", ("05",),
         ("glue_data_source_id", "redshift_data_source_id", "glue_asset_id", "redshift_asset_id",
          "glue_listing_id", "redshift_listing_id"), "the assets it publishes"),
    Step("07", "07_subscriber_create_projects_and_environments", "subscriber", "Subscribe projects and environments",
         "8) Create subscribe projects; 9) create environment profiles and environments (consumer)",
         ("00", "03", "04"),
         ("glue_subscribe_project_id", "redshift_subscribe_project_id", "glue_subscribe_environment_id",
          "redshift_subscribe_environment_id"), "the subscribe projects and environments it creates"),
    Step("08", "08_subscriber_request_access", "subscriber", "Request access",
         "10) Subscribe to the Glue and Redshift tables (request)", ("06", "07"),
         ("glue_subscription_request_id", "redshift_subscription_request_id"), "the subscription requests it sends"),
    Step("09", "09_publisher_approve_requests", "publisher", "Approve the requests",
         "10) Subscribe: the publisher approves", ("08",), ("approved_request_ids",), "the approvals it gives",
         covers=("glue_subscription_request_id", "redshift_subscription_request_id")),
    Step("10", "10_subscriber_query_data", "subscriber", "Query the data",
         "10) Consume through Athena and Redshift", ("07", "09"), ("query_rows",), "the queries it runs"),
    Step("11", "11_producer_admin_audit", "producer_admin", "Audit access and activity",
         "Monitor access and activity with AWS Lake Formation and CloudTrail", ("10",),
         ("audit_completed_at",), "the audit it records"),
    Step("99", "99_cleanup", "all", "Clean up", "Delete everything the lab made, in both accounts", (),
         ("cleanup_completed_at",), "the cleanup", runs_last=True),
)}


def step_of(nb: str | Step) -> Step:
    """The step for a number (``"5"``, ``"05"``) or a notebook name (``05_publisher_…``, with or without ``.ipynb``)."""
    if isinstance(nb, Step):
        return nb
    text = str(nb).strip().removesuffix(".ipynb").rsplit("/", 1)[-1]
    number = text.split("_", 1)[0]
    key = number.zfill(2) if number.isdigit() else number
    if key in STEPS and (text == number or text == STEPS[key].notebook):
        return STEPS[key]
    raise KeyError(f"{nb!r} is not a notebook of the walkthrough ({', '.join(s.notebook for s in STEPS.values())})")


def per_consumer_keys() -> frozenset[str]:
    """The state keys kept once per consumer account: the consumer side's (its steps' keys and 00's ``consumer_…``)
    and what the producer records about each consumer's subscriber (04's ``subscriber_…``)."""
    keys = {k for s in STEPS.values() for k in s.produces
            if s.side == "consumer" or k.startswith(("consumer_", "subscriber_"))}
    return frozenset(keys)


def produced_by() -> dict[str, str]:
    """State key → the notebook that records it first (the one to run when the key is missing)."""
    found: dict[str, str] = {}
    for step in topological_order():
        for key in step.produces:
            found.setdefault(key, step.notebook)
    return found


def graph(steps: Mapping[str, Step] | None = None) -> dict[str, tuple[str, ...]]:
    """Notebook number → the numbers that must finish before it starts (the edges a parallel runner follows).

    A step's needs; a ``runs_last`` step (99) waits for every other step.
    """
    steps = STEPS if steps is None else steps
    return {n: tuple(o for o in steps if o != n) if s.runs_last else s.needs for n, s in steps.items()}


def needs_among(chosen: Iterable[str]) -> dict[str, frozenset[str]]:
    """For a selection of notebook numbers: each one's predecessors in :func:`graph` among them, directly or
    through steps left out (``--only 05 10``: 10 waits for 05, through 06, 08 and 09)."""
    chosen = [n for n in chosen if n in STEPS]
    edges, found = graph(), {}
    for number in chosen:
        seen: set[str] = set()
        todo = list(edges[number])
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo.extend(edges[other])
        found[number] = frozenset(seen & set(chosen))
    return found


def ready(finished: Iterable[str], started: Iterable[str] = (), among: Iterable[str] | None = None) -> list[Step]:
    """The steps (of ``among``, default all) not yet started whose predecessors in :func:`graph` among them finished.

    For a parallel run: start these now; a step outside ``among`` (not selected) is not waited for.
    """
    chosen = set(STEPS if among is None else among)
    finished, started = set(finished), set(started) | set(finished)
    edges = graph()
    return [STEPS[n] for n in sorted(chosen - started) if all(d in finished or d not in chosen for d in edges[n])]


def requirements(nb: str | Step) -> list[Step]:
    """Every earlier step ``nb`` needs, directly or through another, in a valid running order."""
    wanted: set[str] = set()
    todo = list(step_of(nb).needs)
    while todo:
        number = todo.pop()
        if number not in wanted:
            wanted.add(number)
            todo.extend(STEPS[number].needs)
    return [s for s in topological_order() if s.number in wanted]


def topological_order(steps: Mapping[str, Step] | None = None) -> list[Step]:
    """The steps in an order where each comes after what it needs (ties by number)."""
    steps = STEPS if steps is None else steps
    edges = graph(steps)
    order: list[Step] = []
    placed: set[str] = set()
    while len(order) < len(steps):
        free = [s for n, s in sorted(steps.items()) if n not in placed and all(d in placed for d in edges[n])]
        if not free:
            raise ValueError(f"the steps' needs form a cycle among {sorted(set(steps) - placed)}")
        order.append(free[0])
        placed.add(free[0].number)
    return order


def critical_path(durations: Mapping[str, float]) -> tuple[float, list[str]]:
    """The longest chain of needs, weighted by ``durations`` (seconds per number; missing: 0): (seconds, numbers)."""
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    edges = graph()
    for step in topological_order():
        before = max(sorted(edges[step.number], reverse=True), key=lambda d: finish[d], default=None)  # ties: the later step
        finish[step.number] = (finish[before] if before else 0.0) + float(durations.get(step.number, 0.0))
        via[step.number] = before
    end = max(reversed(list(finish)), key=lambda n: finish[n])  # ties: the step that ends the run
    path, node = [], end
    while node is not None:
        path.append(node)
        node = via[node]
    return finish[end], path[::-1]


def done(state: Mapping[str, Any], side: str = "both") -> list[Step]:
    """The steps the state shows done (for ``side``)."""
    return [s for s in topological_order() if s.done(state, side)]


def missing_before(nb: str | Step, state: Mapping[str, Any]) -> list[Step]:
    """The steps ``nb`` needs (directly or not) that the state does not show done, in running order.

    Judged by the state alone, each on the side of ``nb`` (for 00: that side's prerequisites).
    See :func:`unmet` for the rule ``start_notebook`` applies across machines.
    """
    step = step_of(nb)
    return [s for s in requirements(step) if not s.done(state, step.side)]


#: A by-name check in AWS, as the notebook itself would find the step's result: True done, False not done.
Probe = Callable[["Lab"], bool]


def _probe_02(lab: Lab) -> bool:
    from .association import locate_shared_domain

    domain_id, invitation = locate_shared_domain(lab.client("ram"), lab.config.domain_name, lab.state.get("domain_id"))
    return domain_id is not None or invitation is not None


def _probe_03(lab: Lab) -> bool:
    """Some consumer account of the lab has accepted: the producer's next steps act for the associated accounts
    and name the others (in a room, one late team does not hold the rest back)."""
    from .association import associated_accounts

    share = lab.state.get("resource_share_arn")
    if not share:
        raise LookupError("no share recorded")
    return bool(associated_accounts(lab.client("ram"), share) & set(lab.config.consumers))


def _probe_06(lab: Lab) -> bool:
    from .datazone import search_listings

    dzc, domain_id = lab.client("datazone"), lab.state.require("domain_id")
    return all(search_listings(dzc, domain_id, table) for table in ("mkt_sls_table", "rs_sls_tbl"))  # as 08 finds them


def _probe_09(lab: Lab) -> bool:
    from .datazone import subscriptions

    dzc, domain_id = lab.client("datazone"), lab.state.require("domain_id")
    projects = [lab.state.require(k) for k in ("glue_subscribe_project_id", "redshift_subscribe_project_id")]
    return all(any(s.get("status") == "APPROVED" for s in subscriptions(dzc, domain_id, p)) for p in projects)


#: Steps another machine may have done that this machine can confirm by name (others are trusted).
PROBES: dict[str, Probe] = {"02": _probe_02, "03": _probe_03, "06": _probe_06, "09": _probe_09}


def unmet(nb: str | Step, state: Mapping[str, Any], lab: Lab | None = None) -> list[Step]:
    """The earlier steps ``nb`` needs that are certainly not done, in running order.

    The rule (a workshop runs the producer's and the consumer's notebooks on different
    machines, each with its own state file; every id is found again by name in AWS):

    - a needed step of the notebook's own side (and 00's prerequisites of that side) must be
      in this machine's state file: the same person ran it here;
    - a needed step of the other side counts as done when its keys are in the state file, or
      when its by-name lookup in AWS (:data:`PROBES`, with ``lab``'s session) finds it; it is
      missing only when that lookup finds nothing. A step without a lookup, or whose lookup
      fails (no permission, throttled), is trusted: the notebook's own lookup will say more;
    - behind a step that counts as done, nothing earlier is checked.
    """
    step = step_of(nb)
    missing: dict[str, Step] = {}
    seen: set[str] = set()

    def visit(number: str) -> None:
        if number in seen:
            return
        seen.add(number)
        need = STEPS[number]
        if need.done(state, step.side):
            return
        if need.side not in (step.side, "both") and step.side != "both":
            probe = PROBES.get(number)
            if probe is None or lab is None:
                return
            try:
                if probe(lab):
                    return
            except Exception:  # cannot tell from here: trust the other machine
                return
        missing[number] = need
        for earlier in need.needs:
            visit(earlier)

    for number in step.needs:
        visit(number)
    return [s for s in topological_order() if s.number in missing]


def status_rows(state: Mapping[str, Any], side: str = "both",
                room: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, str]]:
    """One row per step: notebook, persona, title, and ``done`` / ``next`` / ``not yet``.

    ``next`` marks each step not done whose needs are all done (several when the sides can
    work in parallel). 99 is ``done`` only when the cleanup ran after the last step.
    ``room``: the other consumers' views of the state (the producer's status in a room): a producer step
    that covers every consumer's ids (09) is done only when it is done in each of them too.
    """
    room = list(room)
    done_numbers = {s.number for s in done(state, side)
                    if not (s.covers and s.side == "producer") or all(s.done(view, side) for view in room)}
    rows = []
    for s in topological_order():
        if s.number in done_numbers:
            status = "done"
        elif s.number != "99" and all(d in done_numbers for d in s.needs):
            status = "next"
        else:
            status = "not yet"
        rows.append({"notebook": s.notebook, "persona": s.persona, "step": s.title, "status": status})
    return rows


class StatusTable:
    """The steps' status: an HTML table in JupyterLab, plain text elsewhere."""

    _COLOURS = {"done": "#1a7f37", "next": "#0969da", "not yet": "#57606a"}

    def __init__(self, rows: list[dict[str, str]], links: Mapping[str, str] | None = None):
        self.rows, self.links = rows, dict(links or {})

    def __repr__(self) -> str:
        return self.text()

    def text(self) -> str:
        columns = ["notebook", "persona", "step", "status"]
        widths = [max(len(c), *(len(r[c]) for r in self.rows)) for c in columns]
        lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
        lines += ["  ".join(r[c].ljust(w) for c, w in zip(columns, widths)).rstrip() for r in self.rows]
        lines += [f"{label}: {url}" for label, url in self.links.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="text-align:left">{c}</th>' for c in ("notebook", "persona", "step", "status"))
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:left">{html.escape(r[c])}</td>' for c in ("notebook", "persona", "step"))
            + f'<td style="text-align:left;color:{self._COLOURS[r["status"]]}"><b>{r["status"]}</b></td></tr>'
            for r in self.rows)
        links = " &middot; ".join(f'<a href="{html.escape(url)}" target="_blank" rel="noopener">{html.escape(label)}</a>'
                                  if url.startswith("https://") else f"{html.escape(label)}: {html.escape(url)}"
                                  for label, url in self.links.items())
        return (f'<table class="lab-status"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
                + (f'<div class="lab-status-links">{links}</div>' if links else ""))


def status_links(state: Mapping[str, Any]) -> dict[str, str]:
    """Where to look at the lab in AWS: the data portal and the consoles (on AWS), or why not (offline)."""
    settings = state.get("settings") if isinstance(state.get("settings"), dict) else {}
    region = settings.get("region") or "us-east-1"
    if settings.get("backend", "offline") == "offline":
        return {"Data portal": "offline: the portal and the consoles exist only on AWS; the notebooks' tables show "
                               "what they would"} if state.get("domain_id") else {}
    links = {}
    if state.get("portal_url"):
        links["Data portal"] = str(state["portal_url"])
    links["DataZone console"] = f"https://{region}.console.aws.amazon.com/datazone/home?region={region}"
    links["Lake Formation console"] = f"https://{region}.console.aws.amazon.com/lakeformation/home?region={region}"
    links["Redshift query editor"] = f"https://{region}.console.aws.amazon.com/sqlworkbench/home?region={region}"
    return links


def lab_status(work_dir: str | None = None, consumer: str | None = None) -> StatusTable:
    """The walkthrough's steps with done / next / not yet, from the lab's state file.

    ``work_dir``: the lab's working folder (default: ``$LAB_WORKDIR`` or ``.lab`` in the checkout).
    ``consumer``: in a room, a consumer account other than the first (``LabConfig.state_scope``): its view.
    """
    from .config import default_work_dir
    from .state import LabState

    folder = work_dir or default_work_dir()
    state = LabState(folder, consumer).load()
    settings = state.get("settings") if isinstance(state.get("settings"), dict) else {}
    others = [c for c in (settings.get("consumer_account_ids") or [])[1:] if isinstance(c, str)]
    room = [LabState(folder, c).load() for c in others] if consumer is None else []  # the producer's view: every consumer
    return StatusTable(status_rows(state, room=room), status_links(state))


def numbers(steps: Iterable[Step]) -> list[str]:
    """The steps' numbers, for messages and tests."""
    return [s.number for s in steps]
