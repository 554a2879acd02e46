"""The OpenAPI document describes every route: summary, area, success schema, error answers."""

from __future__ import annotations

METHODS = ("get", "put", "post", "patch", "delete")
ERRORS = {"401", "403", "404", "409", "422"}


def test_every_operation_is_documented(api):
    document = api.anonymous().ok("GET", "/openapi.json")
    operations = [(method, path, operation) for path, item in document["paths"].items()
                  for method, operation in item.items() if method in METHODS]
    assert len(operations) > 60
    for method, path, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary") and operation.get("tags"), where
        assert ERRORS <= set(operation["responses"]), where
        success = {code: answer for code, answer in operation["responses"].items()
                   if code.startswith("2")}
        assert len(success) == 1, where
        ((code, answer),) = success.items()
        if code == "204":
            continue
        content = answer["content"]
        if "application/json" in content:
            assert content["application/json"]["schema"], where
        else:
            assert "application/octet-stream" in content, where
    schemas = document["components"]["schemas"]
    for name in ("SetView", "SampleView", "Upload", "JobView", "CloneTable", "AnalysisView",
                 "Status", "ErrorDetail"):
        assert name in schemas
