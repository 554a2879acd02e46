"""JupyterHub configuration of Vidjil Lab: wiring only.

Started by `vidjil up`, which passes the run's settings in VIDJIL_LAB_RUNTIME;
what they mean is decided and tested in vidjil_kernel.server.hubconf.
"""

from vidjil_kernel.server.hubconf import configure_hub
from vidjil_kernel.server.runtime import LabRuntime

configure_hub(get_config(), LabRuntime.from_env())  # noqa: F821 (get_config is given by JupyterHub)
