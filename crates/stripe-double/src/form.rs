//! Decoding of Stripe's form-encoded parameters (`a[b][0][c]=v`, `expand[]=x`) into nested JSON,
//! plus small typed accessors used when building objects.
//!
//! Every leaf stays a JSON string, as Stripe accepts `"42"` wherever it accepts `42`; the
//! accessors convert when an object is built.

use serde_json::{Map, Value};

/// Decode an `application/x-www-form-urlencoded` body or query string into nested JSON.
///
/// Maps whose keys are all integers (or were built with `[]`) become arrays ordered by index.
pub fn decode(input: &str) -> Value {
    let mut root = Map::new();
    for pair in input.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(raw_key);
        let value = percent_decode(raw_value);
        let segments = split_key(&key);
        if segments.is_empty() {
            continue;
        }
        insert(&mut root, &segments, value);
    }
    arrays_from_indexed_maps(Value::Object(root))
}

/// Percent-decoding with `+` as space, as HTML forms and Stripe's libraries encode.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `line_items[0][price]` → `["line_items", "0", "price"]`; `expand[]` → `["expand", ""]`.
fn split_key(key: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let (head, mut rest) = match key.find('[') {
        Some(pos) => (&key[..pos], &key[pos..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return segments;
    }
    segments.push(head.to_string());
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                segments.push(stripped[..end].to_string());
                rest = &stripped[end + 1..];
            }
            None => {
                segments.push(stripped.to_string());
                rest = "";
            }
        }
    }
    segments
}

fn insert(map: &mut Map<String, Value>, segments: &[String], value: String) {
    let mut key = segments[0].clone();
    if key.is_empty() {
        // `[]`: append at the next free index.
        key = map.len().to_string();
    }
    if segments.len() == 1 {
        map.insert(key, Value::String(value));
        return;
    }
    let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(child) = entry {
        insert(child, &segments[1..], value);
    }
}

fn arrays_from_indexed_maps(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let all_indexed = !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok());
            if all_indexed {
                let mut items: Vec<(usize, Value)> = map
                    .into_iter()
                    .map(|(k, v)| (k.parse::<usize>().unwrap_or(0), arrays_from_indexed_maps(v)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, arrays_from_indexed_maps(v)))
                        .collect(),
                )
            }
        }
        other => other,
    }
}

/// A string parameter (numbers and booleans are rendered as strings).
pub fn str_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether an integer-valued parameter is present but not an integer.
pub enum IntParam {
    Missing,
    Ok(i64),
    Invalid(String),
}

pub fn int_of(v: &Value, key: &str) -> IntParam {
    match v.get(key) {
        None | Some(Value::Null) => IntParam::Missing,
        Some(Value::Number(n)) => n
            .as_i64()
            .map(IntParam::Ok)
            .unwrap_or_else(|| IntParam::Invalid(n.to_string())),
        Some(Value::String(s)) if s.is_empty() => IntParam::Missing,
        Some(Value::String(s)) => s
            .parse::<i64>()
            .map(IntParam::Ok)
            .unwrap_or_else(|_| IntParam::Invalid(s.clone())),
        Some(other) => IntParam::Invalid(other.to_string()),
    }
}

pub fn bool_of(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `metadata[...]` as a JSON object of strings (empty map when absent).
pub fn metadata_of(v: &Value, key: &str) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::Object(m)) = v.get(key) {
        for (k, val) in m {
            let s = match val {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(k.clone(), Value::String(s));
        }
    }
    out
}

/// Stripe's update semantics for metadata: keys are merged, an empty value deletes a key,
/// and `metadata=` (empty string) clears everything.
pub fn merge_metadata(target: &mut Value, params: &Value) {
    match params.get("metadata") {
        Some(Value::String(s)) if s.is_empty() => {
            target["metadata"] = Value::Object(Map::new());
        }
        Some(Value::Object(_)) => {
            let updates = metadata_of(params, "metadata");
            if !target["metadata"].is_object() {
                target["metadata"] = Value::Object(Map::new());
            }
            if let Value::Object(existing) = &mut target["metadata"] {
                for (k, val) in updates {
                    if val.as_str() == Some("") {
                        existing.remove(&k);
                    } else {
                        existing.insert(k, val);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The `expand` parameter, whether sent as `expand[]=a` or `expand[0]=a`.
pub fn expand_of(v: &Value) -> Vec<String> {
    match v.get("expand") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(m)) => m
            .values()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_brackets_become_nested_objects_and_arrays() {
        let v = decode(
            "mode=payment&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd\
             &line_items[0][quantity]=2&metadata[order_id]=42&expand[]=line_items&expand[]=customer\
             &payment_method_types[0]=card&success_url=https%3A%2F%2Fx.test%2Fok%3Fa%3D1+2",
        );
        assert_eq!(
            v,
            json!({
                "mode": "payment",
                "line_items": [{"price_data": {"currency": "usd"}, "quantity": "2"}],
                "metadata": {"order_id": "42"},
                "expand": ["line_items", "customer"],
                "payment_method_types": ["card"],
                "success_url": "https://x.test/ok?a=1 2"
            })
        );
    }

    #[test]
    fn indexes_are_ordered_numerically_not_lexically() {
        let q: String = (0..12).map(|i| format!("a[{i}]={i}&")).collect();
        let v = decode(&q);
        let items: Vec<&str> = v["a"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(items[10], "10");
        assert_eq!(items[2], "2");
    }

    #[test]
    fn empty_metadata_value_deletes_the_key_on_update() {
        let mut obj = json!({"metadata": {"a": "1", "b": "2"}});
        merge_metadata(&mut obj, &decode("metadata[a]=&metadata[c]=3"));
        assert_eq!(obj["metadata"], json!({"b": "2", "c": "3"}));
    }
}
