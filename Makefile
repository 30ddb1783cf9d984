# The lab kit's two commands: `make lab` and `make test`. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PARAMS ?= parameters/offline.yaml
KERNEL := datazone-lab

.PHONY: lab test mutants jupyter install clean stop

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "DataZone lab (.venv)" >/dev/null
	touch $@

install: $(VENV)/.installed  ## create .venv, install the kit, register its Jupyter kernel

lab: install  ## run the whole lab headlessly (offline by default; PARAMS=... to change)
	$(PY) -m lab_helpers run -f $(PARAMS)

test: install  ## the full test suite (unit, stand-in conformance, notebooks with nbval)
	$(PY) -m pytest

mutants: install  ## plant known bugs (tools/mutants/*.toml) one at a time; the fast tests must catch each
	$(PY) tools/mutation_check.py

# JupyterLab, quiet: no news or update pop-up (jupyter/overrides.json, news_url=None), encrypted kernel
# transport (no "running over TCP without encryption"), a notebook's kernel shut down when its tab is closed,
# and kernels idle for an hour with no tab open shut down too.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d
JUPYTER_FLAGS := --notebook-dir=notebooks --ServerApp.ip=127.0.0.1 --allow-root \
	--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	--KernelManager.transport_encryption=auto \
	--MappingKernelManager.cull_idle_timeout=3600 --MappingKernelManager.cull_interval=300

jupyter: install  ## JupyterLab on the lab's notebooks, with the kernel from the same venv
	@mkdir -p $(LAB_SETTINGS) && cp jupyter/overrides.json $(LAB_SETTINGS)/datazone-lab.json
	$(VENV)/bin/jupyter lab $(JUPYTER_FLAGS)

stop:  ## stop this checkout's offline stand-in (on its work dir's port, or the one PARAMS names); never another's
	-$(PY) -m lab_helpers offline stop -f $(PARAMS)

clean:  ## stop this work dir's stand-ins; remove the venv, runs and the lab's working folder
	-$(PY) -m lab_helpers offline stop --all -f $(PARAMS)
	rm -rf $(VENV) runs .lab build *.egg-info
