"""``Lab``: the Python client of the vidjil-api service, for notebooks and scripts.

In a user's server of the lab, ``Lab()`` needs no argument: the hub gives the
server its token (``JUPYTERHUB_API_TOKEN``) and the lab gives it the API's
address (``VIDJIL_API_URL``).  Elsewhere, pass the lab's URL and a token made
on the hub's token page: ``Lab("https://lab.example.org", token="...")``::

    lab = Lab()
    patient = lab.create_set("patient", last_name="Martin", birth_date="1970-03-04")
    lab.add_sample(patient, "diagnosis_R1.fastq.gz", "diagnosis_R2.fastq.gz",
                   sampling_date="2024-02-01", progress=True)   # resumable upload
    lab.launch(patient, "multi-locus")
    lab.wait(patient)
    clones = lab.clones(fused=lab.fused(patient).index[0])     # a DataFrame

Errors of the API become exceptions naming the route and the API's reason:
``ApiAuthError`` (401), ``ApiForbidden`` (403), ``ApiNotFound`` (404), and
``ApiError`` for the others.

- ``lab``: the ``Lab`` class, one method per route, tables as DataFrames;
- ``uploads``: the resumable upload protocol;
- ``transport``: finding the API, the token, errors.
"""

from vidjil_kernel.client.lab import Lab

__all__ = ["Lab"]
