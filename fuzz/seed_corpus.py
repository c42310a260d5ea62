#!/usr/bin/env python3
"""Write the fuzz targets' seed corpora into fuzz/corpus/<target>/ from the repository's own
fixtures (templates, conformance scenarios' paths, execution logs, JWKS) and from the JSON
examples of the AWS semantics documents (authorizer results, proxy responses), plus a few
hand-written edge cases. Run from anywhere: `python3 fuzz/seed_corpus.py`. Files are named by
the hash of their content, so running it again adds only what is new; inputs a fuzzer found
(crashes once fixed, or new coverage worth keeping) are added by hand beside them.
"""

import glob
import hashlib
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
MAX = 64 * 1024


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if not data or len(data) > MAX:
        return
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def files(*patterns):
    for p in patterns:
        yield from sorted(glob.glob(os.path.join(ROOT, p), recursive=True))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def json_blocks(text):
    """Every fenced block of a Markdown text that parses as JSON."""
    for block in re.findall(r"```(?:json)?\n(.*?)```", text, re.S):
        try:
            yield json.loads(block)
        except ValueError:
            continue


def main():
    # Templates: every fixture, example and conformance scenario template.
    for p in files("tests/**/*.yaml", "tests/**/*.yml", "tests/**/template.json", "examples/*/template.yaml"):
        put("template", read(p))
    put("template", '{"Resources": {}}')
    put("template", "Resources:\n  A: !Ref [B\n")

    # Request paths and methods from the conformance scenarios, for the router.
    for p in files("tests/conformance/*/scenario.json"):
        for step in json.loads(read(p)).get("steps", []):
            r = step.get("request", {})
            put("router", f"{r.get('method', 'GET')} {r.get('path', '/')}\n")
    for line in ["GET /pets", "ANY /pets/{id}", "GET /files/{proxy+}", "POST /a/b/c/d",
                 "GET /v1/items/7", "PATCH /", "GET //double//slash", "GET /%2e%2e/x",
                 "GET /pets/7\nGET /pets/{id}", "GET /\n$default", "DELETE /x\n/{a}/{b+}/c"]:
        put("router", line)

    # Authorizer results and proxy responses: the semantics documents' JSON examples.
    docs = "".join(read(p).decode(errors="replace") for p in glob.glob(os.path.join(SHARED, "*.md")))
    for v in json_blocks(docs):
        text = json.dumps(v)
        if "policyDocument" in text or "isAuthorized" in text:
            put("authorizer_result", text)
        if "statusCode" in text:
            put("proxy_response", text)
    arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/7"
    for r in [
        {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}]}},
        {"principalId": "u", "policyDocument": {"Statement": {"Action": ["execute-api:*"],
            "Effect": "Deny", "NotResource": ["arn:*"]}}, "context": {"a": 1, "b": True}},
        {"isAuthorized": True, "context": {"user": "x"}},
        {"principalId": "u", "policyDocument": {"Statement": []}, "context": {"nested": {"x": 1}}},
    ]:
        put("authorizer_result", json.dumps(r))
    put("authorizer_result", "Unauthorized")
    put("authorizer_result", '"just a string"')
    for r in [
        {"statusCode": 200, "headers": {"a": "b"}, "multiValueHeaders": {"c": ["d", "e"]}, "body": "x"},
        {"statusCode": 302, "body": "aGk=", "isBase64Encoded": True, "cookies": ["a=b"]},
        {"statusCode": "200", "body": {"not": "a string"}},
        "plain text body",
        {"unexpected": 1},
    ]:
        put("proxy_response", json.dumps(r))

    # IAM wildcard patterns against ARNs.
    for pattern in [arn, "arn:aws:execute-api:*", "*", "arn:aws:execute-api:us-east-1:*:abc123/*/GET/*",
                    "a*b*c*d*e*f*g", "??????", "*" * 64, "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/*/pets/?"]:
        put("policy", f"{pattern}\n{arn}")

    # The Runtime API: what runtime clients send.
    for line in [
        "GET /2018-06-01/runtime/invocation/next\n",
        "POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response\n{}",
        'POST /2018-06-01/runtime/invocation/abc/error\n{"errorMessage": "boom", "errorType": "Error", "stackTrace": []}',
        'POST /2018-06-01/runtime/init/error\n{"errorType": "Runtime.ImportModuleError"}',
        "PUT /2018-06-01/runtime/invocation/next\n",
        "POST /2018-06-01/runtime/invocation//response\n",
        "POST /2018-06-01/runtime/invocation/a/b/c/error\n[1,2]",
    ]:
        put("runtime_api", line)

    # Execution logs, in every format `explain --log` reads.
    for p in files("tests/fixtures/execution-logs/*"):
        put("explain_log", read(p))

    # JWT: a token's shape, then a JWKS.
    for p in files("tests/fixtures/jwt/*.json"):
        put("jwt", b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0.c2ln\n" + read(p))
    put("jwt", 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6WyJhIiwxLG51bGwseyJ4Ijp7fX1dfQ.\n{"keys": []}')
    put("jwt", "not.a.token\n{")

    # Query strings.
    for q in ["a=1&b=2&a=3", "x", "=v", "k=", "a=%zz&b=%E2%82%AC", "&&&", "a[]=1&a[]=2", "t=Bearer%20abc+def"]:
        put("query", q)

    # Mapping templates: a body line, then the template (docs/mapping-templates.md's forms).
    passthrough = (
        "#set($allParams = $input.params())\n{\n\"body-json\" : $input.json('$'),\n\"params\" : {\n"
        "#foreach($type in $allParams.keySet())\n    #set($params = $allParams.get($type))\n\"$type\" : {\n"
        "    #foreach($paramName in $params.keySet())\n    \"$paramName\" : \"$util.escapeJavaScript($params.get($paramName))\"\n"
        "        #if($foreach.hasNext),#end\n    #end\n}\n    #if($foreach.hasNext),#end\n#end\n}\n}\n"
    )
    for body, template in [
        ('{"a": 1}', passthrough),
        ("", '{"statusCode": 200}'),
        ("", '#if( $input.params(\'scope\') == "internal" ) {"statusCode": 200} #else {"statusCode": 500} #end'),
        ('{"records": [{"d": 1}, {"d": 2}]}', '#set($n = $input.path(\'$.records\').size())#set($max = $n - 1)'
         '#foreach($i in [0..$max])$input.json("$.records[${i}].d")#if($foreach.hasNext),#end#end'),
        ('{"errorMessage": "Not found", "errorType": "ValueError"}', '{"e": "$input.path(\'$.errorMessage\')"}'),
        ("not json", "$input.body $input.json('$.a')"),
        ("", "#set($m = {})#set($m.k = 'v')$m.put('j', [1, 2.5, true, null])$m $m.keySet() #foreach($x in $m)$x#end"),
        ("", "$util.urlEncode('a b') $util.base64Decode('aGk=') $util.parseJson('[1]').get(0) ${context.requestId} $!nothing"),
        ("", "## c\n#* b *# #[[ $raw ]]# \\$x #{if}(true)y#{else}n#{end} #break #stop"),
        ("", "#macro(x)#end"),
        ("", "#if($a"),
        ("", "$a.b.c('x', [1..3], {'k': $v}).d[0][-1]"),
    ]:
        put("vtl", f"{body}\n{template}")

    for t in sorted(os.listdir(CORPUS)):
        print(f"{t}: {len(os.listdir(os.path.join(CORPUS, t)))} seeds")


if __name__ == "__main__":
    main()
