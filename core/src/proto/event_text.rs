//! A text EVENT read without building its arguments: its name, and the arguments as the
//! JSON array text they arrived in ([`Args`]). Checked as the value tree would be, so the
//! same packets pass; anything unusual (a number for a name, a reserved name, bad JSON)
//! is left to the full parse, which accepts or refuses it with its own error.
use crate::args::Args;
use crate::json_check;

/// A text EVENT's name and arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct TextEvent {
    /// Event name.
    pub name: String,
    /// Arguments, as text.
    pub args: Args,
}

/// Reads `json`, an EVENT's payload (`["name", ...args]`), if it has the usual shape.
pub(crate) fn read(json: &str) -> Option<TextEvent> {
    json_check::check(json).ok()?;
    // Valid JSON from here: `[`, the name's string, then `]` or `,` and the arguments up to
    // the closing `]`.
    let after_bracket = json.trim_start_matches(is_space).strip_prefix('[')?.trim_start_matches(is_space);
    let name_len = string_len(after_bracket)?;
    let quoted = &after_bracket[..name_len];
    let name = match quoted.contains('\\') {
        false => quoted[1..name_len - 1].to_owned(),
        true => serde_json::from_str::<String>(quoted).ok()?,
    };
    if crate::RESERVED_EVENTS.contains(&name.as_str()) {
        return None;
    }
    let rest = after_bracket[name_len..].trim_start_matches(is_space);
    let args = match rest.strip_prefix(',') {
        Some(tail) => {
            let tail = tail.trim_end_matches(is_space);
            // Room for one byte more: the NUL a C face ends the text with.
            let mut text = String::with_capacity(tail.len() + 2);
            text.push('[');
            text.push_str(tail);
            text
        }
        None => {
            let mut text = String::with_capacity(3);
            text.push_str("[]");
            text
        }
    };
    Some(TextEvent { name, args: Args::from_checked_text(args) })
}

/// JSON's whitespace (not Unicode's).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The length of the JSON string `s` starts with, quotes included.
fn string_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::read;
    use crate::Value;

    fn values(json: &str) -> Option<(String, Vec<Value>)> {
        let e = read(json)?;
        let text = e.args.as_text().expect("arguments kept as text").to_owned();
        let parsed: Vec<Value> = serde_json::from_str(&text).expect("argument text parses");
        assert_eq!(parsed, e.args.into_values());
        Some((e.name, parsed))
    }

    #[test]
    fn keeps_the_arguments_text_and_reads_the_name() {
        let e = read(r#"["echo",{"text":"hi","n":1},[2]]"#).unwrap();
        assert_eq!((e.name.as_str(), e.args.as_text()), ("echo", Some(r#"[{"text":"hi","n":1},[2]]"#)));
        let e = read(" [ \"a\\\"b\\\\\" , 1 ,\n2 ] \n").unwrap();
        assert_eq!((e.name.as_str(), e.args.as_text()), ("a\"b\\", Some("[ 1 ,\n2 ]")));
        assert_eq!(
            read(r#"["é\u00e9"]"#).map(|e| (e.name, e.args.as_text().map(str::to_owned))),
            Some(("éé".into(), Some("[]".into())))
        );
        assert_eq!(values(r#"["x", "\ud83d\ude00", -1.5e3, null]"#).unwrap().1.len(), 3);
    }

    #[test]
    fn leaves_anything_unusual_to_the_full_parse() {
        for json in [
            r#"[1,"a"]"#,
            "[]",
            r#"["connect"]"#,
            r#"["disconnecting",1]"#,
            r#"{"a":1}"#,
            r#"["a",]"#,
            r#"["a",1e400]"#,
            r#"["a","\ud800"]"#,
            r#"["a"] x"#,
            r#"["a""#,
            "",
        ] {
            assert!(read(json).is_none(), "{json}");
        }
    }

    proptest::proptest! {
        /// Whatever the name and arguments, the text read back gives the values the full
        /// parse gives.
        #[test]
        fn agrees_with_the_value_tree(name in "\\PC{0,8}", args in proptest::collection::vec(crate::json_check::tests::json(), 0..4), pad in "[ \n]{0,2}") {
            let mut json = format!("[{pad}{}", serde_json::to_string(&name).unwrap());
            for a in &args {
                json.push_str(&format!("{pad},{pad}{}", serde_json::to_string(a).unwrap()));
            }
            json.push_str(&format!("{pad}]{pad}"));
            let expected: Vec<Value> = args.iter().map(|a| serde_json::from_str(&a.to_string()).unwrap()).collect();
            match values(&json) {
                Some((n, v)) => proptest::prop_assert_eq!((n, v), (name, expected)),
                None => proptest::prop_assert!(crate::RESERVED_EVENTS.contains(&name.as_str())),
            }
        }
    }
}
