"""The setup form: account ids, Region and backend, validated as the attendee types, saved on Save.

The form starts from the settings saved in the lab's state file; a parameter given
explicitly (not ``None``: papermill passed it, or the attendee typed it into the
parameters cell) overrides them; defaults fill the rest. So Run All shows and keeps what
was saved, and a headless run with parameters saves its parameters. A bad id gets a red
border and a message saying what is wrong. **Save** (or :meth:`LabForm.save` in the next
cell) validates, refuses new accounts while the lab has resources in the saved ones
(until 99 ran), saves, records the accounts for cleanup and echoes what was saved.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from .config import (BACKENDS, DEFAULT_REGION, OFFLINE_CONSUMER, OFFLINE_PRODUCER, ConfigError, LabConfig,
                     default_work_dir, make_config, normalise_account_id)
from .redshift import KINDS
from .validate import lab_regions

#: The form's fields (a parameter among these given explicitly overrides the saved settings).
_FIELDS = ("backend", "region", "producer_account_id", "consumer_account_id", "consumer_account_ids", "redshift")
_DEFAULTS: dict[str, Any] = {"backend": "offline", "region": DEFAULT_REGION, "producer_account_id": OFFLINE_PRODUCER,
                             "consumer_account_id": OFFLINE_CONSUMER, "redshift": "provisioned"}
#: The Regions offering every service the lab uses (botocore's endpoint data, as make_config checks).
REGIONS = lab_regions()
_OK_BORDER = "1px solid #8c959f"
_BAD_BORDER = "2px solid #cf222e"


class LabForm:
    """ipywidgets form for the lab's settings."""

    def __init__(self, **params: Any):
        from .notebook import saved_settings

        given = {k: v for k, v in params.items() if v is not None and v != ""}
        saved = saved_settings(str(given.get("work_dir") or default_work_dir()))
        self.origin = ("the notebook's parameters" if any(k in given for k in _FIELDS)
                       else "the saved settings" if saved else "the defaults")
        if "consumer_account_id" in given or "consumer_account_ids" in given:  # given consumers replace the saved ones
            saved = {k: v for k, v in saved.items() if k not in ("consumer_account_id", "consumer_account_ids")}
        self.params = {**_DEFAULTS, **saved, **given}
        params = self.params
        style = {"description_width": "170px"}
        layout = {"width": "420px"}
        self.producer = w.Text(value=str(params.get("producer_account_id") or ""), description="Producer account id",
                               placeholder="12 digits", style=style, layout=dict(layout))
        consumers = params.get("consumer_account_ids") or [params.get("consumer_account_id") or ""]
        self.consumer = w.Text(value=", ".join(str(c) for c in consumers), description="Consumer account id(s)",
                               placeholder="12 digits; a room: several, separated by commas", style=style,
                               layout=dict(layout))
        #: a room: the consumer the consumer-side notebooks act for (shown when the field lists several)
        self.acting = w.Dropdown(options=[], description="Act for consumer", style=style, layout=dict(layout))
        self._choices(str(params.get("consumer_account_id") or ""))
        self.consumer.observe(lambda _change: self._choices(self.acting.value), names="value")
        region = params.get("region") or DEFAULT_REGION
        self.region = w.Dropdown(options=sorted(set(REGIONS) | {region}), value=region, description="Region",
                                 style=style, layout=dict(layout))
        self.backend = w.Dropdown(options=list(BACKENDS), value=params.get("backend") or "offline",
                                  description="Backend", style=style, layout=dict(layout))
        self.redshift = w.Dropdown(options=list(KINDS), value=params.get("redshift") or "provisioned",
                                   description="Redshift", style=style, layout=dict(layout),
                                   tooltip="provisioned: a cluster in each account; serverless: a workgroup (cheaper for a workshop)")
        self.message = w.HTML(value="")
        self.message.add_class("lab-form-message")
        self.save_button = w.Button(description="Save", button_style="primary", icon="save",
                                    tooltip="Check and save these settings for the other notebooks")
        self.save_button.on_click(lambda _button: self.click_save())
        self.origin_note = w.HTML(value=f'<div class="lab-form-origin" style="color:#57606a">Starting from {self.origin}.</div>')
        self.saved = w.HTML(value="")
        self.saved.add_class("lab-form-saved")
        for field in (self.producer, self.consumer, self.region, self.backend, self.redshift):
            field.observe(lambda _change: self.validate(), names="value")
        self.box = w.VBox([w.HTML("<b>Lab settings</b>"), self.producer, self.consumer, self.acting, self.region,
                           self.backend, self.redshift,
                           self.origin_note, self.message, self.save_button, self.saved])
        self.box.add_class("lab-form")
        self.validate()

    def _choices(self, keep: str) -> None:
        """Offer the consumer field's ids in the "Act for consumer" list (hidden for one consumer), keeping ``keep``."""
        ids = [i for i in self.consumer_ids() if i]
        self.acting.options = ids
        self.acting.value = keep if keep in ids else (ids[0] if ids else None)
        self.acting.layout.display = "" if len(ids) > 1 else "none"

    def consumer_ids(self) -> list[str]:
        """The consumer field's ids as typed (one, or several separated by commas or spaces)."""
        return [part for part in self.consumer.value.replace(",", " ").split() if part] or [""]

    def values(self) -> dict[str, Any]:
        """The parameters with the form's current values on top (several consumers: ``consumer_account_ids``)."""
        ids = self.consumer_ids()
        consumers = ({"consumer_account_id": ids[0], "consumer_account_ids": None} if len(ids) == 1 else
                     {"consumer_account_id": self.acting.value, "consumer_account_ids": ids})
        return {**self.params, "producer_account_id": self.producer.value.strip(), **consumers,
                "region": self.region.value, "backend": self.backend.value, "redshift": self.redshift.value}

    def errors(self) -> dict[str, str]:
        """Field name → message for every invalid field (empty when the form is valid)."""
        found: dict[str, str] = {}
        ids = {}
        typed = self.consumer_ids()
        for name, value in (("producer_account_id", self.producer.value),
                            *((("consumer_account_id", typed[0]),) if len(typed) == 1 else
                              ((f"consumer_account_ids[{i}]", v) for i, v in enumerate(typed)))):
            try:
                ids[name] = normalise_account_id(value, name)
            except ConfigError as exc:
                found.setdefault("consumer_account_id" if name.startswith("consumer") else name, str(exc))
        if "producer_account_id" in ids and ids["producer_account_id"] in [v for k, v in ids.items() if k != "producer_account_id"]:
            found["consumer_account_id"] = "the consumer account must differ from the producer account"
        if not found:
            try:
                make_config(**self.values())
            except ConfigError as exc:
                found["form"] = str(exc)
        return found

    def validate(self) -> bool:
        """Mark invalid fields red with a message; returns whether the form is valid."""
        errors = self.errors()
        for name, field in (("producer_account_id", self.producer), ("consumer_account_id", self.consumer)):
            field.layout.border = _BAD_BORDER if name in errors else _OK_BORDER
        if errors:
            items = "".join(f"<li>{msg}</li>" for msg in errors.values())
            self.message.value = f'<div class="lab-form-error" style="color:#cf222e"><ul>{items}</ul></div>'
        else:
            self.message.value = '<div class="lab-form-ok" style="color:#1a7f37">Settings look valid.</div>'
        return not errors

    def config(self) -> LabConfig:
        """The validated settings; raises :class:`ConfigError` naming the field to fix."""
        errors = self.errors()
        if errors:
            raise ConfigError("; ".join(errors.values()) + " (fix the form above, then run this cell again)")
        return make_config(**self.values())

    def save(self) -> LabConfig:
        """Validate, save the settings (refused while the lab has resources in other accounts), echo them.

        Raises :class:`ConfigError` (or its ``AccountsLockedError``) naming the fix; nothing is saved then.
        """
        from .notebook import save_settings

        config = self.config()
        settings = save_settings(config)
        described = ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None)
        self.saved.value = (f'<div class="lab-form-saved-ok" style="color:#1a7f37">Saved: {html.escape(described)} '
                            f"(in {html.escape(str(config.work_dir))}).</div>")
        return config

    def click_save(self) -> bool:
        """The Save button: :meth:`save`, showing a refusal in the form instead of raising. True when saved."""
        try:
            self.save()
        except ConfigError as exc:
            self.saved.value = (f'<div class="lab-form-saved-error" style="color:#cf222e">Not saved: '
                                f"{html.escape(str(exc))}</div>")
            return False
        return True

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def lab_form(**params: Any) -> LabForm:
    """Build the settings form: explicit ``params`` over the saved settings over the defaults."""
    return LabForm(**params)
