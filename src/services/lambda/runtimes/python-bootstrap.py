# Nimbus's bootstrap for the python3.* runtimes: speaks the Lambda Runtime API
# (AWS_LAMBDA_RUNTIME_API) as AWS's Python runtime interface client does: `module.function`
# handler resolution, the context object, and errors as {errorMessage, errorType, stackTrace}.
import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"
host, port = API.split(":")
conn = http.client.HTTPConnection(host, int(port))


def request(method, path, body=None, headers=None):
    global conn
    for attempt in range(2):
        try:
            conn.request(method, BASE + path, body=body, headers=headers or {})
            res = conn.getresponse()
            return res, res.read()
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            conn = http.client.HTTPConnection(host, int(port))
            if attempt == 1:
                raise


def error_of(e):
    return {
        "errorMessage": str(e),
        "errorType": type(e).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(e.__traceback__)[1:]),
    }


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        cc = headers.get("Lambda-Runtime-Client-Context")
        self.client_context = json.loads(cc) if cc else None
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        self.identity = json.loads(ci) if ci else None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline - int(time.time() * 1000))


def load():
    spec = os.environ.get("_HANDLER", "")
    if "." not in spec:
        raise ValueError("Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    module_name, fn_name = spec.rsplit(".", 1)
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        err = {"errorMessage": "Unable to import module '%s': %s" % (module_name, e), "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
        raise InitError(err)
    fn = getattr(module, fn_name, None)
    if fn is None:
        err = {"errorMessage": "Handler '%s' missing on module '%s'" % (fn_name, module_name), "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}
        raise InitError(err)
    return fn


class InitError(Exception):
    def __init__(self, payload):
        super().__init__(payload["errorMessage"])
        self.payload = payload


try:
    handler = load()
except Exception as e:  # noqa: BLE001 - any init failure is reported to the Runtime API
    payload = e.payload if isinstance(e, InitError) else error_of(e)
    print("[ERROR] %s: %s" % (payload["errorType"], payload["errorMessage"]), flush=True)
    request("POST", "/init/error", json.dumps(payload), {"Lambda-Runtime-Function-Error-Type": payload["errorType"]})
    sys.exit(1)

while True:
    res, body = request("GET", "/invocation/next")
    headers = {k.title(): v for k, v in res.getheaders()}
    ctx = Context(headers)
    os.environ["_X_AMZN_TRACE_ID"] = headers.get("Lambda-Runtime-Trace-Id", "")
    try:
        event = json.loads(body or b"null")
        result = handler(event, ctx)
        out = json.dumps(result)
        request("POST", "/invocation/%s/response" % ctx.aws_request_id, out)
    except Exception as e:  # noqa: BLE001 - handler errors go to the Runtime API
        payload = error_of(e)
        payload["requestId"] = ctx.aws_request_id
        print("[ERROR] %s: %s\nTraceback (most recent call last):\n%s" % (payload["errorType"], payload["errorMessage"], "".join(payload["stackTrace"])), flush=True)
        request("POST", "/invocation/%s/error" % ctx.aws_request_id, json.dumps(payload), {"Lambda-Runtime-Function-Error-Type": payload["errorType"]})
