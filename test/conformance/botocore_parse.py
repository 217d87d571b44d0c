"""Parse server responses with botocore's own response parsers (the official Python client).

Reads a JSON list of jobs from the file named by argv[1] and writes a JSON list of results to
stdout, one per job, in order. A job holds the suite's metadata and shapes, the operation, the
response (status, headers, base64 body) and, for errors, the error shape to parse the modeled
fields with. Values are made JSON-friendly: timestamps become epoch seconds, blobs
{"$bytes": base64}, and NaN/Infinity the strings the vectors use.
"""
import base64
import datetime
import json
import math
import sys

from botocore.awsrequest import HeadersDict
from botocore.model import ServiceModel
from botocore.parsers import create_parser


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return {"$timestamp": value.timestamp()}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if hasattr(value, "read"):
        return plain(value.read())
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    return value


def run(job):
    operation = dict(job["operation"])
    model = ServiceModel(
        {"metadata": job["metadata"], "operations": {operation["name"]: operation}, "shapes": job["shapes"]},
        service_name="conformance",
    )
    op_model = model.operation_model(operation["name"])
    parser = create_parser(job["metadata"]["protocol"])
    headers = HeadersDict()
    for name, value in job["headers"].items():
        headers[name] = value
    response = {
        "status_code": job["status"],
        "headers": headers,
        "body": base64.b64decode(job["body"]),
    }
    parsed = parser.parse(response, op_model.output_shape)
    parsed.pop("ResponseMetadata", None)
    out = {"parsed": plain(parsed)}
    if job.get("errorShape"):
        response["body"] = base64.b64decode(job["body"])
        modeled = parser.parse(response, model.shape_for(job["errorShape"]))
        modeled.pop("ResponseMetadata", None)
        modeled.pop("Error", None)
        out["modeled"] = plain(modeled)
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    results = []
    for job in jobs:
        try:
            results.append(run(job))
        except Exception as e:  # reported per case, the batch goes on
            results.append({"exception": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
