"""LDAP accounts against a real OpenLDAP server (Debian's slapd) on loopback."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
import requests
from lab_harness import HubSession, free_port, start_lab

pytestmark = [pytest.mark.hub, pytest.mark.slow]

SUFFIX = "dc=lab,dc=test"
ENTRIES = f"""
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
o: Vidjil test lab
dc: lab

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: uid=marie,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: marie
cn: Marie Curie
sn: Curie
mail: marie@lab.test
userPassword: radium-polonium

dn: uid=pierre,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: pierre
cn: Pierre Curie
sn: Curie
mail: pierre@lab.test
userPassword: piezo-electric
"""


@pytest.fixture
def slapd(tmp_path: Path):
    """A private slapd with two people, listening on 127.0.0.1 only."""
    assert shutil.which("slapd", path="/usr/sbin"), "slapd missing: ./lab test installs it"
    port = free_port()
    (tmp_path / "db").mkdir()
    conf = tmp_path / "slapd.conf"
    conf.write_text(textwrap.dedent(f"""\
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        include /etc/ldap/schema/inetorgperson.schema
        modulepath /usr/lib/ldap
        moduleload back_mdb
        pidfile {tmp_path}/slapd.pid
        database mdb
        maxsize 10485760
        suffix "{SUFFIX}"
        rootdn "cn=admin,{SUFFIX}"
        rootpw not-used-by-the-lab
        directory {tmp_path}/db
        """))
    (tmp_path / "people.ldif").write_text(ENTRIES)
    subprocess.run(["/usr/sbin/slapadd", "-f", str(conf), "-l", str(tmp_path / "people.ldif")],
                   check=True, capture_output=True)
    process = subprocess.Popen(["/usr/sbin/slapd", "-f", str(conf), "-h",
                                f"ldap://127.0.0.1:{port}/", "-d", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.send_signal(signal.SIGTERM)
    process.wait(20)


def test_ldap_login_with_an_admin_named_on_the_command_line(tmp_path, slapd):
    site = tmp_path / "site.toml"
    site.write_text(textwrap.dedent(f"""\
        authenticator = "ldap"
        [ldap]
        server_address = "127.0.0.1"
        server_port = {slapd}
        tls_strategy = "insecure"
        bind_dn_template = ["uid={{username}},ou=people,{SUFFIX}"]
        auth_state_attributes = ["mail"]
        """))
    lab = start_lab(tmp_path / "data", options=("--admin", "marie"),
                    env={"VIDJIL_CONFIG": str(site), "VIDJIL_DEMO_PATIENT": "false"})
    try:
        marie, pierre = HubSession(lab.url), HubSession(lab.url)
        assert not marie.login("marie", "wrong-password")
        assert marie.login("marie", "radium-polonium")
        assert pierre.login("pierre", "piezo-electric")
        assert not HubSession(lab.url).login("nobody", "piezo-electric")
        me = requests.get(f"{lab.api_url}/whoami", headers={
            "Authorization": f"token {marie.new_token('marie')}"}).json()
        assert (me["name"], me["admin"]) == ("marie", True)
        him = requests.get(f"{lab.api_url}/whoami", headers={
            "Authorization": f"token {pierre.new_token('pierre')}"}).json()
        assert (him["name"], him["admin"]) == ("pierre", False)
        assert (me["email"], him["email"]) == ("marie@lab.test", "pierre@lab.test")  # synced
        log = lab.hub_log.read_text()
        assert "lab account authorised: marie (email marie@lab.test, admin True)" in log
        assert "lab account authorised: pierre (email pierre@lab.test, admin False)" in log
    finally:
        assert lab.stop() == 0, lab.diagnostics()
