"""The lab server: the processes `vidjil up` runs and the hub's configuration.

- ``runtime``: what one start of the lab needs to know (ports, paths, choices);
- ``lab``: start the proxy and the hub, wait until ready, stop everything;
- ``supervisor``: child processes, including those their children leave behind;
- ``hubconf``: the JupyterHub configuration built from the runtime;
- ``accounts``: local/LDAP accounts, the first admin, the account hook;
- ``spawners``: users' servers, embedded or isolated (one system user each).
"""
