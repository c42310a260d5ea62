//! The part of API Gateway's mapping-template language (VTL) glassgate evaluates: `$context.*`
//! references and `$input.params('name')`. The template readers use [`unrendered`] to name, in
//! a load-time warning, what a template uses beyond that; `pipeline::integrate::mock` renders.

/// The VTL constructs of a template that glassgate does not evaluate, sorted, for the
/// load-time warning: directives (`#if`, `#set`...) and references other than `$context.*`
/// and `$input.params('name')`.
pub fn unrendered(template: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, c) in template.char_indices() {
        let rest = &template[i..];
        if c == '#' {
            let word: String = rest[1..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if matches!(
                word.as_str(),
                "if" | "else"
                    | "elseif"
                    | "end"
                    | "set"
                    | "foreach"
                    | "macro"
                    | "parse"
                    | "include"
            ) {
                found.push(format!("#{word}"));
            }
        } else if c == '$' {
            let known = rest.starts_with("$input.params('")
                || rest
                    .trim_start_matches("${")
                    .trim_start_matches('$')
                    .starts_with("context.");
            let name: String = rest[1..]
                .trim_start_matches('{')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                .collect();
            if !known && !name.is_empty() {
                found.push(format!("${name}"));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::unrendered;

    #[test]
    fn directives_and_unknown_references_are_named() {
        assert_eq!(
            unrendered(
                "#set($o = $input.params().header.get('Origin')) #if($o) x #end $context.stage"
            ),
            ["#end", "#if", "#set", "$input.params", "$o"]
        );
        assert!(
            unrendered(
                r#"{"statusCode": 200, "id": "$input.params('id')", "r": "${context.requestId}"}"#
            )
            .is_empty()
        );
    }
}
