#!/usr/bin/env python3
"""Probe how a local AWS emulator answers the calls stackctl's engine makes.

    .emulators/localstack/bin/python tools/probe_emulators.py http://127.0.0.1:4566
    .emulators/localstack/bin/python tools/probe_emulators.py http://127.0.0.1:4567

Uses the boto3 inside the LocalStack venv. Every resource name carries a fresh
suffix, so the probe can be rerun against a running emulator. It prints one line
per finding ("a.list_roles.has_tags: True") and, with --json, the raw responses.
Findings come from the wire where boto3 would hide them (IAM policy documents,
which botocore URL-decodes and parses by itself).
"""

import argparse
import base64
import hashlib
import io
import json
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"

HANDLER_SOURCE = """\
import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
        "body": json.dumps({
            "hello": "from stackctl probe",
            "method": event.get("httpMethod"),
            "path": event.get("path"),
            "body": event.get("body"),
        }),
    }
"""

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
APIGW_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
INLINE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:*:*:*",
        }
    ],
}
CORS_HEADERS = {
    "method.response.header.Access-Control-Allow-Headers": (
        "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'"
    ),
    "method.response.header.Access-Control-Allow-Methods": "'OPTIONS,POST,HEAD'",
    "method.response.header.Access-Control-Allow-Origin": "'*'",
}


class Probe:
    def __init__(self, endpoint: str, verbose: bool):
        self.endpoint = endpoint.rstrip("/")
        self.verbose = verbose
        self.suffix = uuid.uuid4().hex[:8]
        self.failures = 0
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60)
        self.raw_bodies: dict[str, bytes] = {}

        def client(name):
            c = session.client(name, endpoint_url=self.endpoint, config=cfg)
            c.meta.events.register("before-parse", self._capture_raw)
            return c

        self.iam = client("iam")
        self.sts = client("sts")
        self.lam = client("lambda")
        self.apigw = client("apigateway")
        self.logs = client("logs")

    # ------------------------------------------------------------ helpers

    def _capture_raw(self, operation_model, response_dict, **_):
        self.raw_bodies[operation_model.name] = response_dict["body"]

    def say(self, key: str, value):
        if not isinstance(value, str):
            value = json.dumps(value, default=str, sort_keys=True)
        print(f"{key}: {value}", flush=True)

    def dump(self, key: str, value):
        if self.verbose:
            print(f"  [{key}] " + json.dumps(strip_meta(value), default=str, sort_keys=True), flush=True)

    def section(self, title: str, fn):
        print(f"\n== {title}", flush=True)
        try:
            fn()
        except Exception as e:  # keep going: one emulator gap must not hide the others
            self.failures += 1
            self.say(f"{title}.ERROR", f"{type(e).__name__}: {e}")
            if self.verbose:
                traceback.print_exc()

    def attempt(self, key: str, call, *args, **kwargs):
        """Run a call; report its error code instead of raising."""
        try:
            out = call(*args, **kwargs)
            self.dump(key, out)
            return out
        except ClientError as e:
            err = e.response.get("Error", {})
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            self.say(f"{key}.error", f"HTTP {status} {err.get('Code')}: {err.get('Message')}")
            return None

    # ------------------------------------------------------------ a. IAM

    def iam_probe(self):
        name = f"stackctl-probe-{self.suffix}"
        path = "/stackctl/demo/"
        tags = [{"Key": "stackctl:stack", "Value": "demo"}, {"Key": "env", "Value": "test"}]
        created = self.iam.create_role(
            RoleName=name,
            Path=path,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
            Description="probe",
            Tags=tags,
        )["Role"]
        self.dump("create_role", created)
        self.role_arn = created["Arn"]
        self.say("a.create_role.arn", created["Arn"])
        self.say("a.create_role.path", created.get("Path"))
        self.say("a.create_role.response_has_tags", "Tags" in created)

        listed = self.iam.list_roles(PathPrefix=path)["Roles"]
        mine = [r for r in listed if r["RoleName"] == name]
        self.say("a.list_roles(PathPrefix).returns_role", bool(mine))
        self.say("a.list_roles(PathPrefix).all_paths_match", all(r["Path"].startswith(path) for r in listed))
        if mine:
            self.dump("list_roles.item", mine[0])
            self.say("a.list_roles.item_keys", sorted(mine[0]))
            self.say("a.list_roles.has_tags", "Tags" in mine[0])
        other = self.iam.list_roles(PathPrefix="/nope/")["Roles"]
        self.say("a.list_roles(PathPrefix=/nope/).count", len(other))

        got = self.iam.get_role(RoleName=name)["Role"]
        self.dump("get_role", got)
        self.say("a.get_role.tags", got.get("Tags"))
        raw = self.raw_bodies.get("GetRole", b"").decode()
        self.say("a.get_role.assume_role_policy_on_wire", between(raw, "<AssumeRolePolicyDocument>", "</AssumeRolePolicyDocument>"))
        self.say("a.list_role_tags", self.iam.list_role_tags(RoleName=name).get("Tags"))

        doc = json.dumps(INLINE_POLICY)
        self.iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=doc)
        self.iam.get_role_policy(RoleName=name, PolicyName="inline")
        raw = self.raw_bodies.get("GetRolePolicy", b"").decode()
        on_wire = between(raw, "<PolicyDocument>", "</PolicyDocument>")
        self.say("a.get_role_policy.document_on_wire", on_wire)
        self.say("a.get_role_policy.url_encoded", "%7B" in on_wire or "%22" in on_wire)
        self.say("a.list_role_policies", self.iam.list_role_policies(RoleName=name)["PolicyNames"])

        # The execution role stackctl would attach for logs; and the apigw logging role.
        self.iam.attach_role_policy(
            RoleName=name,
            PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        )
        self.say(
            "a.list_attached_role_policies",
            self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"],
        )
        apigw_role = self.iam.create_role(
            RoleName=f"stackctl-probe-apigw-{self.suffix}",
            Path=path,
            AssumeRolePolicyDocument=json.dumps(APIGW_TRUST),
        )["Role"]
        self.apigw_role_arn = apigw_role["Arn"]

    # ------------------------------------------------------------ b. Lambda

    def lambda_probe(self):
        name = f"stackctl-probe-{self.suffix}"
        self.function_name = name
        code = deterministic_zip({"handler.py": HANDLER_SOURCE})
        expected_sha = base64.b64encode(hashlib.sha256(code).digest()).decode()
        created = self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role_arn,
            Handler="handler.handler",
            Code={"ZipFile": code},
            Timeout=10,
            MemorySize=128,
            Tags={"stackctl:stack": "demo", "env": "test"},
        )
        self.dump("create_function", created)
        self.function_arn = created["FunctionArn"]
        self.say("b.create_function.arn", created["FunctionArn"])
        self.say("b.create_function.state", f"{created.get('State')} / LastUpdateStatus={created.get('LastUpdateStatus')}")

        seen, t0 = [], time.monotonic()
        while time.monotonic() - t0 < 30:
            cfg = self.lam.get_function_configuration(FunctionName=name)
            st = (cfg.get("State"), cfg.get("LastUpdateStatus"))
            if not seen or seen[-1][1:] != st:
                seen.append((round(time.monotonic() - t0, 2),) + st)
            if st[0] in ("Active", "Failed") and st[1] in ("Successful", "Failed", None):
                break
            time.sleep(0.2)
        self.say("b.state_transitions(t_s,State,LastUpdateStatus)", seen)
        self.say("b.state_reason", f"{cfg.get('StateReason')} / {cfg.get('StateReasonCode')}")

        fn = self.lam.get_function(FunctionName=name)
        self.dump("get_function", fn)
        conf = fn["Configuration"]
        self.say("b.get_function.tags", fn.get("Tags"))
        self.say("b.get_function.code_sha256", conf.get("CodeSha256"))
        self.say("b.get_function.code_sha256_matches_base64_sha256_zip", conf.get("CodeSha256") == expected_sha)
        self.say("b.get_function.code_size_matches", conf.get("CodeSize") == len(code))
        self.say("b.get_function.revision_id", conf.get("RevisionId"))
        self.say("b.get_function.top_level_keys", sorted(k for k in fn if k != "ResponseMetadata"))
        self.say(
            "b.get_function.defaults",
            {k: conf.get(k) for k in ("MemorySize", "Timeout", "Architectures", "PackageType", "TracingConfig",
                                      "EphemeralStorage", "LoggingConfig", "Environment", "Version")},
        )
        self.say("b.list_tags", self.lam.list_tags(Resource=self.function_arn).get("Tags"))

        self.attempt("b.get_policy(no permissions)", self._get_policy_verbose, name)

        # Stale RevisionId must be refused (how stackctl refuses a stale plan).
        self.attempt(
            "b.update_function_configuration(stale RevisionId)",
            self.lam.update_function_configuration,
            FunctionName=name, Description="x", RevisionId="00000000-0000-0000-0000-000000000000",
        )

        listed = [f["FunctionName"] for f in self.lam.list_functions()["Functions"]]
        self.say("b.list_functions.contains_function", name in listed)
        self.say("b.list_functions.count", len(listed))

    def _get_policy_verbose(self, name):
        out = self.lam.get_policy(FunctionName=name)
        self.say("b.get_policy(no permissions).status", out["ResponseMetadata"]["HTTPStatusCode"])
        self.say("b.get_policy(no permissions).policy", out.get("Policy"))
        self.say("b.get_policy(no permissions).revision_id", out.get("RevisionId"))
        return out

    # ------------------------------------------------------------ c. API Gateway

    def apigw_probe(self):
        api = self.apigw.create_rest_api(
            name=f"stackctl-probe-{self.suffix}",
            description="probe",
            endpointConfiguration={"types": ["REGIONAL"]},
            tags={"stackctl:stack": "demo", "env": "test"},
        )
        self.dump("create_rest_api", api)
        self.api_id = api_id = api["id"]
        self.say("c.create_rest_api.id", f"{api_id} (len {len(api_id)})")
        self.say("c.create_rest_api.tags", api.get("tags"))
        self.say("c.create_rest_api.endpointConfiguration", api.get("endpointConfiguration"))
        self.say("c.create_rest_api.apiKeySource/disableExecuteApiEndpoint",
                 [api.get("apiKeySource"), api.get("disableExecuteApiEndpoint")])

        items = self.apigw.get_rest_apis(limit=500)["items"]
        mine = [i for i in items if i["id"] == api_id]
        self.say("c.get_rest_apis.contains_api", bool(mine))
        if mine:
            self.say("c.get_rest_apis.item.tags", mine[0].get("tags"))
            self.say("c.get_rest_apis.item_keys", sorted(mine[0]))

        root = [r for r in self.apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/"][0]
        res = self.apigw.create_resource(restApiId=api_id, parentId=root["id"], pathPart="hello")
        self.resource_id = rid = res["id"]

        lambda_uri = (
            f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{self.function_arn}/invocations"
        )
        self.apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="POST", authorizationType="NONE")
        integ = self.apigw.put_integration(
            restApiId=api_id, resourceId=rid, httpMethod="POST", type="AWS_PROXY",
            integrationHttpMethod="POST", uri=lambda_uri,
        )
        self.dump("put_integration(AWS_PROXY)", integ)
        self.say("c.put_integration(AWS_PROXY).keys", sorted(k for k in integ if k != "ResponseMetadata"))

        self.apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", authorizationType="NONE")
        self.apigw.put_integration(
            restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", type="MOCK",
            requestTemplates={"application/json": '{"statusCode": 200}'},
        )
        mr = self.apigw.put_method_response(
            restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
            responseParameters={k: False for k in CORS_HEADERS},
            responseModels={"application/json": "Empty"},
        )
        self.dump("put_method_response", mr)
        ir = self.apigw.put_integration_response(
            restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
            responseParameters=CORS_HEADERS,
            responseTemplates={"application/json": ""},
        )
        self.dump("put_integration_response", ir)
        self.say("c.put_integration_response.response", strip_meta(ir))

        gr = self.apigw.put_gateway_response(
            restApiId=api_id, responseType="DEFAULT_4XX",
            responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
        )
        self.say("c.put_gateway_response(DEFAULT_4XX).response", strip_meta(gr))
        grs = self.apigw.get_gateway_responses(restApiId=api_id, limit=500)
        self.dump("get_gateway_responses", grs)
        items = grs.get("items", [])
        self.say("c.get_gateway_responses.top_level_keys", sorted(k for k in grs if k != "ResponseMetadata"))
        self.say("c.get_gateway_responses.count", len(items))
        self.say("c.get_gateway_responses.DEFAULT_4XX", [i for i in items if i.get("responseType") == "DEFAULT_4XX"])
        self.say("c.get_gateway_responses.sample_default_item",
                 next((i for i in items if i.get("responseType") == "MISSING_AUTHENTICATION_TOKEN"), None))
        self.attempt("c.get_gateway_response(DEFAULT_5XX)", self._say_gr, api_id, "DEFAULT_5XX")

        emb = self.apigw.get_resources(restApiId=api_id, embed=["methods"], limit=500)
        self.dump("get_resources(embed=methods)", emb)
        hello = [r for r in emb["items"] if r.get("path") == "/hello"]
        self.say("c.get_resources(embed).paths", sorted(r.get("path") for r in emb["items"]))
        if hello:
            rm = hello[0].get("resourceMethods", {})
            self.say("c.get_resources(embed).hello.methods", sorted(rm))
            post = rm.get("POST", {})
            opt = rm.get("OPTIONS", {})
            self.say("c.get_resources(embed).POST.keys", sorted(post))
            self.say("c.get_resources(embed).POST.methodIntegration", post.get("methodIntegration"))
            self.say("c.get_resources(embed).POST.methodResponses", post.get("methodResponses"))
            self.say("c.get_resources(embed).OPTIONS.keys", sorted(opt))
            self.say("c.get_resources(embed).OPTIONS.methodIntegration", opt.get("methodIntegration"))
            self.say("c.get_resources(embed).OPTIONS.methodResponses", opt.get("methodResponses"))
        plain = self.apigw.get_resources(restApiId=api_id, limit=500)
        self.say("c.get_resources(no embed).hello.resourceMethods",
                 [r.get("resourceMethods") for r in plain["items"] if r.get("path") == "/hello"])

        # Lambda permission scoped to this API (needed for the URL to work).
        src = f"arn:aws:execute-api:{REGION}:{self.account}:{api_id}/*/POST/hello"
        add = self.lam.add_permission(
            FunctionName=self.function_name, StatementId="stackctl-apigw-post-hello",
            Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com", SourceArn=src,
        )
        self.say("b.add_permission.Statement(raw string)", add.get("Statement"))
        pol = self.lam.get_policy(FunctionName=self.function_name)
        self.say("b.get_policy(after add_permission).Policy(raw string)", pol.get("Policy"))
        self.say("b.get_policy(after add_permission).RevisionId", pol.get("RevisionId"))
        self.attempt(
            "b.add_permission(duplicate sid)", self.lam.add_permission,
            FunctionName=self.function_name, StatementId="stackctl-apigw-post-hello",
            Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com", SourceArn=src,
        )

        # Deploy without a stage, then create the stage on it.
        d1 = self.apigw.create_deployment(restApiId=api_id, description="x")
        self.dump("create_deployment", d1)
        self.say("c.create_deployment(no stage).response", strip_meta(d1))
        st = self.apigw.create_stage(
            restApiId=api_id, stageName="prod", deploymentId=d1["id"], description="probe stage",
            tags={"stackctl:stack": "demo"},
        )
        self.dump("create_stage", st)
        self.say("c.create_stage.tags", st.get("tags"))
        self.say("c.create_stage.methodSettings", st.get("methodSettings"))

        d2 = self.apigw.create_deployment(restApiId=api_id, description="second")
        up = self.apigw.update_stage(
            restApiId=api_id, stageName="prod",
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": d2["id"]}],
        )
        self.say("c.update_stage(/deploymentId).deploymentId_is_new", up.get("deploymentId") == d2["id"])

        acct = self.apigw.get_account()
        self.say("c.get_account(initial)", strip_meta(acct))
        # AWS refuses ERROR/INFO logging until the account has a cloudwatchRoleArn.
        # Only meaningful on a fresh emulator (the setting is account-wide).
        early = self.attempt(
            "c.update_stage(loglevel=ERROR, before UpdateAccount)", self.apigw.update_stage,
            restApiId=api_id, stageName="prod",
            patchOperations=[{"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}],
        )
        if early is not None:
            self.say("c.update_stage(loglevel=ERROR, before UpdateAccount)",
                     f"accepted (account cloudwatchRoleArn was {acct.get('cloudwatchRoleArn')!r})")
        acct2 = self.attempt(
            "c.update_account(/cloudwatchRoleArn)", self.apigw.update_account,
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": self.apigw_role_arn}],
        )
        if acct2 is not None:
            self.say("c.update_account.response.cloudwatchRoleArn", acct2.get("cloudwatchRoleArn"))
        self.say("c.get_account(after).cloudwatchRoleArn", self.apigw.get_account().get("cloudwatchRoleArn"))

        up = self.attempt(
            "c.update_stage(logging)", self.apigw.update_stage,
            restApiId=api_id, stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
                {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"},
                {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
            ],
        )
        if up is not None:
            self.say("c.update_stage(logging).response.methodSettings", up.get("methodSettings"))
        gs = self.apigw.get_stage(restApiId=api_id, stageName="prod")
        self.dump("get_stage", gs)
        self.say("c.get_stage.methodSettings", gs.get("methodSettings"))
        self.say("c.get_stage.tags", gs.get("tags"))
        self.say("c.get_stage.description", gs.get("description"))
        self.say("c.get_stage.deploymentId_is_second", gs.get("deploymentId") == d2["id"])
        self.say("c.get_stages.count", len(self.apigw.get_stages(restApiId=api_id).get("item", [])))
        gd = self.apigw.get_deployment(restApiId=api_id, deploymentId=d1["id"])
        self.say("c.get_deployment.response", strip_meta(gd))
        self.say("c.get_deployments.descriptions",
                 sorted(d.get("description") or "" for d in self.apigw.get_deployments(restApiId=api_id)["items"]))
        # Settings survive a further /deploymentId patch?
        d3 = self.apigw.create_deployment(restApiId=api_id, description="third")
        self.apigw.update_stage(
            restApiId=api_id, stageName="prod",
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": d3["id"]}],
        )
        self.say("c.methodSettings_after_another_deploymentId_patch",
                 self.apigw.get_stage(restApiId=api_id, stageName="prod").get("methodSettings"))
        # The documented LocalStack quirk: CreateDeployment(stageName=existing) wipes methodSettings.
        self.apigw.create_deployment(restApiId=api_id, stageName="prod", description="into stage")
        self.say("c.methodSettings_after_CreateDeployment(stageName=prod)",
                 self.apigw.get_stage(restApiId=api_id, stageName="prod").get("methodSettings"))

    def _say_gr(self, api_id, kind):
        out = self.apigw.get_gateway_response(restApiId=api_id, responseType=kind)
        self.say(f"c.get_gateway_response({kind})", strip_meta(out))
        return out

    # ------------------------------------------------------------ d. invoke URL

    def url_probe(self):
        base = f"{self.endpoint}/restapis/{self.api_id}/prod/_user_request_"
        self.say("d.url", f"{base}/hello")
        for method, path, body, headers in (
            ("POST", "/hello", b'{"x": 1}', {"Content-Type": "application/json"}),
            ("OPTIONS", "/hello", None, {"Origin": "http://example.test",
                                         "Access-Control-Request-Method": "POST"}),
            ("GET", "/nope", None, {}),
        ):
            status, hdrs, text, took = http(method, base + path, body, headers)
            self.say(f"d.{method} {path}.status", f"{status} ({took:.2f} s)")
            self.say(f"d.{method} {path}.headers", {k: v for k, v in hdrs.items()
                                                    if k.lower().startswith(("access-control", "content-type",
                                                                             "x-amzn", "x-amz-apigw"))})
            self.say(f"d.{method} {path}.body", text[:400])
        # Does the function's log group exist after the invocation?
        time.sleep(1)
        groups = self.logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{self.function_name}")["logGroups"]
        self.say("d.function_log_group_exists_after_invoke", bool(groups))
        if groups:
            streams = self.logs.describe_log_streams(logGroupName=groups[0]["logGroupName"])["logStreams"]
            self.say("d.function_log_streams", len(streams))

    # ------------------------------------------------------------ e. Logs

    def logs_probe(self):
        name = f"/stackctl/demo/probe-{self.suffix}"
        self.logs.create_log_group(logGroupName=name, tags={"stackctl:stack": "demo", "env": "test"})
        self.logs.put_retention_policy(logGroupName=name, retentionInDays=14)
        groups = self.logs.describe_log_groups(logGroupNamePrefix="/stackctl/demo/")["logGroups"]
        mine = [g for g in groups if g["logGroupName"] == name]
        self.say("e.describe_log_groups(prefix).found", bool(mine))
        if mine:
            g = mine[0]
            self.dump("describe_log_groups.item", g)
            self.say("e.describe_log_groups.item", g)
            arn = g.get("logGroupArn") or g["arn"].removesuffix(":*")
            self.attempt("e.list_tags_for_resource", self._say_tags, arn)
        self.attempt("e.list_tags_log_group", self._say_tags_lg, name)
        self.attempt("e.create_log_group(again)", self.logs.create_log_group, logGroupName=name)

    def _say_tags(self, arn):
        out = self.logs.list_tags_for_resource(resourceArn=arn)
        self.say("e.list_tags_for_resource(arn)", f"{arn} -> {json.dumps(out.get('tags'))}")
        return out

    def _say_tags_lg(self, name):
        out = self.logs.list_tags_log_group(logGroupName=name)
        self.say("e.list_tags_log_group", out.get("tags"))
        return out

    # ------------------------------------------------------------

    def run(self):
        print(f"probe {self.endpoint} suffix={self.suffix}")
        ident = self.sts.get_caller_identity()
        self.account = ident["Account"]
        self.say("sts.get_caller_identity", strip_meta(ident))
        self.section("a", self.iam_probe)
        self.section("b", self.lambda_probe)
        self.section("c", self.apigw_probe)
        self.section("d", self.url_probe)
        self.section("e", self.logs_probe)
        print(f"\nprobe finished: {self.failures} section(s) raised")
        return 0 if self.failures == 0 else 1


def strip_meta(value):
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "ResponseMetadata"}
    return value


def between(text: str, start: str, end: str) -> str:
    i = text.find(start)
    if i < 0:
        return "<absent>"
    j = text.find(end, i)
    return text[i + len(start): j]


def deterministic_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    return buf.getvalue()


def http(method, url, body, headers):
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode(errors="replace"), time.monotonic() - t0
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode(errors="replace"), time.monotonic() - t0
    except Exception as e:  # noqa: BLE001 - report, don't crash
        return None, {}, f"{type(e).__name__}: {e}", time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("endpoint", help="e.g. http://127.0.0.1:4566")
    ap.add_argument("--json", action="store_true", help="also print the raw responses")
    args = ap.parse_args()
    sys.exit(Probe(args.endpoint, args.json).run())


if __name__ == "__main__":
    main()
