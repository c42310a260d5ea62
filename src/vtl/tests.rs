use serde_json::{Value, json};

use super::{Bindings, RenderError, Template, VtlError};

struct Req {
    body: &'static str,
    params: Value,
    context: Value,
    stage: Value,
}

fn req(body: &'static str) -> Req {
    Req {
        body,
        params: json!({
            "path": {"id": "7"},
            "querystring": {"scope": "internal", "q": "a b"},
            "header": {"Origin": "https://app.example", "X-Tag": "o'k"}
        }),
        context: json!({
            "requestId": "rid-1",
            "stage": "prod",
            "httpMethod": "POST",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"principalId": "user-1"}
        }),
        stage: json!({"env": "dev"}),
    }
}

fn render(t: &str, r: &Req) -> Result<String, RenderError> {
    Template::parse(t).render(&Bindings {
        body: r.body.as_bytes(),
        params: &r.params,
        context: &r.context,
        stage_variables: &r.stage,
    })
}

fn ok(t: &str, r: &Req) -> String {
    render(t, r).unwrap_or_else(|e| panic!("{t:?}: {e}"))
}

#[test]
fn references_params_context_and_stage_variables() {
    let r = req("");
    assert_eq!(
        ok(
            r#"{"id": "$input.params('id')", "scope": "$input.params('scope')", "o": "$input.params('origin')", "rid": "${context.requestId}", "p": "$context.authorizer.principalId", "env": "$stageVariables.env", "price": "$5", "none": "$nothing$!quiet"}"#,
            &r
        ),
        r#"{"id": "7", "scope": "internal", "o": "https://app.example", "rid": "rid-1", "p": "user-1", "env": "dev", "price": "$5", "none": ""}"#
    );
}

#[test]
fn the_body_through_json_path_and_body() {
    let r = req(r#"{"user": {"name": "Ann", "age": 31}, "tags": ["a", "b"]}"#);
    assert_eq!(
        ok(
            r#"{"name": $input.json('$.user.name'), "age": $input.path('$.user.age'), "n": $input.path('$.tags').size(), "all": $input.json('$')}"#,
            &r
        ),
        r#"{"name": "Ann", "age": 31, "n": 2, "all": {"user":{"name":"Ann","age":31},"tags":["a","b"]}}"#
    );
    assert_eq!(ok("$input.json('$.missing')|", &r), "|");
    // An empty body reads as {} (API Gateway's, for GET requests through a passthrough template).
    assert_eq!(ok("$input.json('$')|$input.body", &req("")), "{}|{}");
    assert!(matches!(
        render("$input.json('$.a')", &req("not json")),
        Err(RenderError::BodyNotJson(_))
    ));
    // The raw body is not parsed unless the template asks for JSON.
    assert_eq!(ok("[$input.body]", &req("not json")), "[not json]");
}

#[test]
fn the_passthrough_template_of_the_console() {
    // The "Method Request passthrough" template as API Gateway's console writes it.
    let t = r##"##  See http://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
##  This template will pass through all parameters including path, querystring, header, stage variables, and context through to the integration endpoint via the body/payload
#set($allParams = $input.params())
{
"body-json" : $input.json('$'),
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
},
"stage-variables" : {
#foreach($key in $stageVariables.keySet())
"$key" : "$util.escapeJavaScript($stageVariables.get($key))"
    #if($foreach.hasNext),#end
#end
},
"context" : {
    "http-method" : "$context.httpMethod",
    "request-id" : "$context.requestId",
    "source-ip" : "$context.identity.sourceIp"
    }
}
"##;
    let out = ok(t, &req(r#"{"a": 1}"#));
    let doc: Value =
        serde_json::from_str(&out.replace("\\'", "'")).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(doc["body-json"], json!({"a": 1}));
    assert_eq!(doc["params"]["path"], json!({"id": "7"}));
    assert_eq!(doc["params"]["querystring"]["q"], json!("a b"));
    assert_eq!(doc["params"]["header"]["X-Tag"], json!("o'k"));
    assert_eq!(doc["stage-variables"], json!({"env": "dev"}));
    assert_eq!(doc["context"]["source-ip"], json!("127.0.0.1"));
    // Whole-line directives leave no blank lines behind.
    assert!(!out.contains("\n\n"), "{out}");
    assert!(out.starts_with("{\n\"body-json\""), "{out}");
}

#[test]
fn directives_branch_loop_and_set() {
    let r = req(r#"{"records": [{"d": 1}, {"d": 2}, {"d": 3}]}"#);
    assert_eq!(
        ok(
            r#"#if( $input.params('scope') == "internal" ){"statusCode": 200}#else{"statusCode": 500}#end"#,
            &r
        ),
        r#"{"statusCode": 200}"#
    );
    assert_eq!(
        ok("#if($x)a#elseif($input.params('id') == 7)b#{else}c#end", &r),
        "b"
    );
    assert_eq!(
        ok(
            r#"#set($n = $input.path('$.records').size())#set($max = $n - 1)#foreach($i in [0..$max])$input.json("$.records[${i}].d")#if($foreach.hasNext),#end#end"#,
            &r
        ),
        "1,2,3"
    );
    assert_eq!(ok("#foreach($i in [3..1])$i#end", &r), "321");
    assert_eq!(
        ok(
            "#foreach($i in [1, 2, 3, 4])#if($i == 3)#break#end$i#end",
            &r
        ),
        "12"
    );
    assert_eq!(ok("a#stop b", &r), "a");
    // A null leaves #set's target as it was (Velocity 1.7).
    assert_eq!(ok("#set($a = 1)#set($a = $nothing)$a", &r), "1");
    assert_eq!(
        ok(
            r#"#set($m = {})#set($m.k = "v")#set($d = $m.put("j", 2))$m#set($l = [])$!l.add(1)$l.size()"#,
            &r
        ),
        // `add` answers true, which prints: `$!` hides nulls only.
        "{k=v, j=2}true1"
    );
    assert_eq!(
        ok(r#"#set($s = "id=$input.params('id')")$s.toUpperCase()"#, &r),
        "ID=7"
    );
    assert_eq!(ok("#set($a = 'x')#set($b = \"$a$a\")$b", &r), "xx");
    assert_eq!(
        ok(
            "$velocityCount#foreach($k in ['a'])$velocityCount$foreach.index#end",
            &r
        ),
        "10"
    );
}

#[test]
fn util_functions() {
    let r = req("");
    assert_eq!(
        ok(
            r#"$util.escapeJavaScript("a\"b'c/d\é
")"#,
            &r
        ),
        r#"a\"b\'c\/d\\\u00E9\n"#
    );
    assert_eq!(
        ok("$util.urlEncode('a b&c=d/é*')", &r),
        "a+b%26c%3Dd%2F%C3%A9*"
    );
    assert_eq!(ok("$util.urlDecode('a+b%26')", &r), "a b&");
    assert_eq!(
        ok("$util.base64Encode('hi')|$util.base64Decode('aGk=')", &r),
        "aGk=|hi"
    );
    assert_eq!(ok(r#"$util.parseJson('{"a": [1]}').a.get(0)"#, &r), "1");
}

#[test]
fn comments_escapes_and_plain_hashes() {
    let r = req("");
    assert_eq!(ok("a ## note\nb", &r), "a b");
    assert_eq!(ok("a #* block\n *# b", &r), "a  b");
    assert_eq!(ok("#[[ $kept #if ]]#", &r), " $kept #if ");
    assert_eq!(
        ok("color: #ff0000; \\$id \\#if", &r),
        "color: #ff0000; $id #if"
    );
    assert_eq!(ok("  #set($a = 1)\n$a\n", &r), "1\n");
}

#[test]
fn what_cannot_be_used_is_named() {
    for (t, want) in [
        ("#macro(x)#end", "#macro"),
        ("#define($x)a#end", "#define"),
        ("#parse('x.vm')", "#parse"),
    ] {
        assert_eq!(
            Template::parse(t).error(),
            Some(&VtlError::Unsupported(want.to_owned())),
            "{t}"
        );
    }
    for t in [
        "#if($a)",
        "#end",
        "#set($a 1)",
        "#foreach($a $b)#end",
        "$a.b('x'",
    ] {
        let e = Template::parse(t).error().cloned();
        assert!(matches!(e, Some(VtlError::Syntax { .. })), "{t}: {e:?}");
    }
    let e = Template::parse("x\n  #if($a)\n")
        .error()
        .map(ToString::to_string);
    assert_eq!(e.as_deref(), Some("line 2, column 3: #if has no #end"));
    assert_eq!(
        Template::parse("$util.toJson($x) $input.headers $a.frob() $input.params('a').length()")
            .unknown(),
        ["$input.headers", "$util.toJson()", ".frob()"]
    );
    // Deep nesting is refused, never a stack overflow.
    let deep = "#if(true)".repeat(500);
    assert!(Template::parse(&deep).error().is_some());
    let deep = format!("$a{}", ".b(".repeat(500));
    assert!(Template::parse(&deep).error().is_some());
}

#[test]
fn reading_a_big_variable_in_a_loop_stays_within_the_budget() {
    // 2,000 items, each turn reading the list's size and an item: copying the list on each
    // read would cost 4 million steps; borrowing costs a few per turn.
    let items: Vec<String> = (0..2000).map(|i| format!("{{\"n\": {i}}}")).collect();
    let body: &'static str =
        Box::leak(format!("{{\"items\": [{}]}}", items.join(",")).into_boxed_str());
    let out = ok(
        "#set($items = $input.path('$.items'))#foreach($i in $items)#if($foreach.index == $items.size() - 1)$items[$foreach.index].n#end#end",
        &req(body),
    );
    assert_eq!(out, "1999");
}

#[test]
fn renderings_are_bounded() {
    let r = req("");
    assert_eq!(
        render("#foreach($i in [0..100000000])x#end", &r),
        Err(RenderError::Limit("a million steps"))
    );
    assert_eq!(
        render(
            "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..30])#set($s = \"$s$s\")#end$s",
            &r
        ),
        Err(RenderError::Limit("16 MiB of output"))
    );
}

#[test]
fn response_overrides_are_collected() {
    let r = req("");
    let t = Template::parse(
        "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-A = \"1\")#set($context.responseOverride.header.x-a = 2)#set($context.other = 1)ok",
    );
    assert_eq!(t.unknown(), ["#set($context.other)"]);
    let (text, o) = t
        .render_with_overrides(&Bindings {
            body: b"",
            params: &r.params,
            context: &r.context,
            stage_variables: &r.stage,
        })
        .unwrap();
    assert_eq!(text, "ok");
    assert_eq!(o.status, Some(418));
    assert_eq!(o.headers, [("x-a".to_owned(), "2".to_owned())]);
}
