"""Deploys a CloudFormation template on moto_server and reports the stack.

Used by infra's TestDeployOnMoto: python3 moto_deploy.py ENDPOINT
TEMPLATE.json CODE_DIR BUCKET. Every CODE_DIR/<name>.zip is uploaded to
s3://BUCKET/<name>.zip first. Every parameter is passed with its default:
moto does not split a CommaDelimitedList parameter's default into a list.
Prints one JSON object: the stack's status and resources, and what the
test checks of the resources moto keeps.
"""

import base64
import hashlib
import json
import os
import sys
import time

import boto3

endpoint, template_path, code_dir, bucket = sys.argv[1:5]
kw = dict(
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="moto",
    aws_secret_access_key="moto",
)
s3 = boto3.client("s3", **kw)
cf = boto3.client("cloudformation", **kw)

s3.create_bucket(Bucket=bucket)
uploaded = {}
for name in sorted(os.listdir(code_dir)):
    data = open(os.path.join(code_dir, name), "rb").read()
    s3.put_object(Bucket=bucket, Key=name, Body=data)
    uploaded[name] = base64.b64encode(hashlib.sha256(data).digest()).decode()

template = json.load(open(template_path))
parameters = [
    {"ParameterKey": k, "ParameterValue": str(v["Default"])}
    for k, v in template.get("Parameters", {}).items()
    if "Default" in v
]
stack = "contracts"
started = time.monotonic()
cf.create_stack(
    StackName=stack,
    TemplateBody=json.dumps(template),
    Parameters=parameters,
    Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
)
# Bounded: moto creates a stack in seconds.
while True:
    st = cf.describe_stacks(StackName=stack)["Stacks"][0]
    if not st["StackStatus"].endswith("IN_PROGRESS") or time.monotonic() - started > 60:
        break
    time.sleep(0.2)

report = {
    "status": st["StackStatus"],
    "reason": st.get("StackStatusReason"),
    "seconds": round(time.monotonic() - started, 2),
    "uploaded": uploaded,
    "resources": [
        {k: r[k] for k in ("LogicalResourceId", "PhysicalResourceId", "ResourceType", "ResourceStatus")}
        for r in cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    ],
    "outputs": {o["OutputKey"]: o["OutputValue"] for o in st.get("Outputs", [])},
}
if st["StackStatus"] == "CREATE_COMPLETE":
    logs = boto3.client("logs", **kw)
    report["logGroups"] = {
        g["logGroupName"]: g.get("retentionInDays")
        for g in logs.describe_log_groups()["logGroups"]
    }
    cw = boto3.client("cloudwatch", **kw)
    report["dashboards"] = {
        d["DashboardName"]: cw.get_dashboard(DashboardName=d["DashboardName"])["DashboardBody"]
        for d in cw.list_dashboards()["DashboardEntries"]
    }
    ddb = boto3.client("dynamodb", **kw)
    table = ddb.describe_table(TableName=report["outputs"]["TableName"])["Table"]
    report["tableDeletionProtection"] = table.get("DeletionProtectionEnabled")
    report["tableStream"] = {
        "viewType": (table.get("StreamSpecification") or {}).get("StreamViewType"),
        "arn": table.get("LatestStreamArn"),
    }
    lam = boto3.client("lambda", **kw)
    report["functions"] = {
        f["FunctionName"]: f["CodeSha256"] for f in lam.list_functions()["Functions"]
    }
    report["versions"] = {
        f: [v["Version"] for v in lam.list_versions_by_function(FunctionName=f)["Versions"]]
        for f in report["functions"]
    }
    report["eventSourceMappings"] = [
        {
            "function": m["FunctionArn"],
            "source": m["EventSourceArn"],
            "scaling": m.get("ScalingConfig"),
            "startingPosition": m.get("StartingPosition"),
            "functionResponseTypes": m.get("FunctionResponseTypes"),
            "bisect": m.get("BisectBatchOnFunctionError"),
            "maximumRetryAttempts": m.get("MaximumRetryAttempts"),
            "maximumRecordAgeInSeconds": m.get("MaximumRecordAgeInSeconds"),
            "onFailure": ((m.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
        }
        for m in lam.list_event_source_mappings()["EventSourceMappings"]
    ]
    events = boto3.client("events", **kw)
    report["buses"] = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    sqs = boto3.client("sqs", **kw)
    report["queueArns"] = {
        u: sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for u in sqs.list_queues().get("QueueUrls", [])
    }
    sns = boto3.client("sns", **kw)
    report["topics"] = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
json.dump(report, sys.stdout)
