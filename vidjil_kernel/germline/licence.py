"""The IMGT licence the user accepts before we build germline files from IMGT data."""

from __future__ import annotations

LICENCE_NAME = "IMGT terms of use (CC BY-NC-ND 4.0)"
LICENCE_URL = "https://www.imgt.org/about/termsofuse.php"
CITATION = (
    "Lefranc M.-P. et al., IMGT, the international ImMunoGeneTics information system, "
    "https://www.imgt.org (Nucleic Acids Res. 2015;43:D413-22); "
    "Giudicelli V., Chaume D., Lefranc M.-P., IMGT/GENE-DB (Nucleic Acids Res. 2005;33:D256-61)"
)

LICENCE_TEXT = f"""\
The germline sequences come from IMGT, the international ImMunoGeneTics information
system (IMGT/GENE-DB and the IMGT/V-QUEST reference directory), through two PyPI packages
that ship IMGT tables: tcr-explorer and mirpy-lib.

IMGT data are under the IMGT terms of use, which the copies we could read give as
Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 (CC BY-NC-ND 4.0); the
tcr-explorer package states CC BY 4.0.  We follow the stricter reading:
  - academic and non-profit use; commercial use needs a licence from IMGT;
  - cite IMGT in any work that uses these sequences;
  - the files are built on this machine and are not redistributed.
Terms: {LICENCE_URL}
Cite:  {CITATION}

Run `vidjil germline build --accept-imgt-licence` to accept these terms and build.
"""
