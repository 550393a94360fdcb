//! A request body, from any of its sources (the generated flags,
//! `--json-body`, a line of `--from`), checked against the operation's
//! request type before anything is sent.
//!
//! Every source is JSON first, with the fragment's property names; the
//! check is katapult-core's ([`katapult_core::check_request_body`], the one
//! `disk change --from` lines go through too): it decodes the body into the
//! request type ([`UpdateDiskBody`], `ResizeDiskBody`, ...), encodes that
//! again, and refuses the body unless everything given survives the round
//! trip. That catches a misspelt field (serde would otherwise drop it in
//! silence), a wrong type, a missing `disk`, and a value the request type
//! cannot carry (an empty list it leaves out, a `null`): what is sent is
//! what was given.

use std::io::Read as _;
use std::path::Path;

use katapult_core::types::UpdateDiskBody;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::exit::Failure;

/// `--annotation KEY=VALUE`: the key, and the value if there is an `=`.
pub fn parse_key_value(text: &str) -> Result<(String, Option<String>), String> {
    let (key, value) = match text.split_once('=') {
        Some((key, value)) => (key, Some(value.to_owned())),
        None => (text, None),
    };
    if key.is_empty() {
        return Err("expected KEY=VALUE (or KEY alone), and the key is empty".to_owned());
    }
    Ok((key.to_owned(), value))
}

/// Reads FILE, or standard input for `-`.
pub fn read_input(path: &Path, flag: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|read| text = read)
    };
    result.map_err(|error| {
        Failure::usage(format!(
            "{flag} {}: cannot read it: {error}",
            path.display()
        ))
    })?;
    Ok(text)
}

/// Parses JSON text and checks it against Update disk's request type.
pub fn parse_body(text: &str) -> Result<UpdateDiskBody, String> {
    parse(text)
}

/// Checks a JSON request body against Update disk's request type.
pub fn check_body(json: Value) -> Result<UpdateDiskBody, String> {
    check(json)
}

/// Parses JSON text and checks it against the request type `B`.
pub fn parse<B: DeserializeOwned + Serialize>(text: &str) -> Result<B, String> {
    let json: Value =
        serde_json::from_str(text).map_err(|error| format!("not valid JSON: {error}"))?;
    check(json)
}

/// Checks a JSON request body against the request type `B`
/// ([`katapult_core::check_request_body`]); returns the typed body, which
/// encodes back to exactly the JSON given.
pub fn check<B: DeserializeOwned + Serialize>(json: Value) -> Result<B, String> {
    katapult_core::check_request_body(json).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_values() {
        assert_eq!(
            parse_key_value("team=storage"),
            Ok(("team".into(), Some("storage".into())))
        );
        assert_eq!(
            parse_key_value("a=b=c"),
            Ok(("a".into(), Some("b=c".into())))
        );
        assert_eq!(parse_key_value("flag"), Ok(("flag".into(), None)));
        assert_eq!(parse_key_value("k="), Ok(("k".into(), Some(String::new()))));
        assert!(parse_key_value("=v").is_err());
    }

    #[test]
    fn a_full_body_passes() {
        let json = json!({
            "disk": {"id": "disk_1"},
            "properties": {
                "name": "logs",
                "bus_type": "virtio",
                "io_profile": {"permalink": "fast"},
                "virtual_machine_disk": {"boot": false, "virtual_machine": {"fqdn": "vm.example"}}
            },
            "annotations": [{"key": "team", "value": "storage"}, {"key": "bare"}]
        });
        let body = check_body(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(body).unwrap(), json);
    }

    #[test]
    fn what_would_not_be_sent_is_refused() {
        let cases = [
            (
                json!({"disk": {"id": "d"}, "properties": {"nmae": "x"}}),
                "`properties.nmae` is not a field",
            ),
            (
                json!({"disk": {"id": "d"}, "properties": {"name": null}}),
                "`properties.name` is null",
            ),
            (json!({"disk": {"id": "d"}}), "missing field `properties`"),
            (
                json!({"disk": {"id": "d"}, "properties": {"bus_type": "ide"}}),
                "unknown variant `ide`",
            ),
            (
                json!({"disk": {"id": "d"}, "properties": {"io_profile": {"id": "a", "permalink": "b"}}}),
                "not a valid request body",
            ),
            (json!([1]), "not an array"),
        ];
        for (json, expected) in cases {
            let error = check_body(json.clone()).unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }
}
