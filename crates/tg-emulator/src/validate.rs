//! Request parameters, Bot API errors and Telegram's input validation.

use serde_json::{Map, Value, json};

/// An error answer of the Bot API.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
    pub migrate_to: Option<i64>,
}

impl ApiError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
            migrate_to: None,
        }
    }

    pub fn bad(what: impl AsRef<str>) -> Self {
        Self::new(400, format!("Bad Request: {}", what.as_ref()))
    }

    pub fn forbidden(what: impl AsRef<str>) -> Self {
        Self::new(403, format!("Forbidden: {}", what.as_ref()))
    }

    pub fn too_many(retry_after: u32) -> Self {
        let mut e = Self::new(429, format!("Too Many Requests: retry after {retry_after}"));
        e.retry_after = Some(retry_after);
        e
    }

    pub fn body(&self) -> Value {
        let mut m = Map::new();
        m.insert("ok".into(), json!(false));
        m.insert("error_code".into(), json!(self.code));
        m.insert("description".into(), json!(self.description));
        let mut p = Map::new();
        if let Some(r) = self.retry_after {
            p.insert("retry_after".into(), json!(r));
        }
        if let Some(c) = self.migrate_to {
            p.insert("migrate_to_chat_id".into(), json!(c));
        }
        if !p.is_empty() {
            m.insert("parameters".into(), Value::Object(p));
        }
        Value::Object(m)
    }
}

pub(crate) type ApiResult<T = Value> = Result<T, ApiError>;

/// Button texts of a reply keyboard, row by row.
pub(crate) type ReplyKeyboard = Vec<Vec<String>>;

/// Parameters of one request, whatever encoding they came in.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(pub Map<String, Value>);

impl Params {
    pub fn raw(&self, k: &str) -> Option<&Value> {
        self.0.get(k).filter(|v| !v.is_null())
    }

    pub fn has(&self, k: &str) -> bool {
        self.raw(k).is_some()
    }

    pub fn str(&self, k: &str) -> Option<String> {
        match self.raw(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }
    }

    pub fn i64(&self, k: &str) -> ApiResult<Option<i64>> {
        match self.raw(k) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| ApiError::bad(format!("invalid {k} specified"))),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad(format!("invalid {k} specified"))),
            Some(_) => Err(ApiError::bad(format!("invalid {k} specified"))),
        }
    }

    pub fn req_i64(&self, k: &str) -> ApiResult<i64> {
        self.i64(k)?
            .ok_or_else(|| ApiError::bad(format!("{k} is empty")))
    }

    pub fn bool(&self, k: &str) -> bool {
        match self.raw(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A parameter holding JSON (arrives as a JSON string in forms and multipart).
    pub fn json(&self, k: &str) -> ApiResult<Option<Value>> {
        match self.raw(k) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.starts_with('{') || t.starts_with('[') {
                    serde_json::from_str(t)
                        .map(Some)
                        .map_err(|_| ApiError::bad(format!("can't parse {k} JSON object")))
                } else if t.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(Value::String(s.clone())))
                }
            }
            Some(v) => Ok(Some(v.clone())),
        }
    }

    /// Parameters as JSON with JSON-holding strings decoded (for [`crate::ApiCall`]).
    pub fn normalized(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in &self.0 {
            let v = match v {
                Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
                    serde_json::from_str(s).unwrap_or_else(|_| v.clone())
                }
                _ => v.clone(),
            };
            m.insert(k.clone(), v);
        }
        Value::Object(m)
    }
}

/// UTF-16 length, the unit Telegram counts in.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Text and entities after applying `parse_mode`.
pub(crate) fn format_text(
    text: &str,
    parse_mode: Option<&str>,
    entities: Option<Value>,
) -> ApiResult<(String, Vec<Value>)> {
    match parse_mode.map(|s| s.to_ascii_lowercase()) {
        Some(m) if m == "html" => parse_html(text),
        Some(m) if m == "markdownv2" => parse_markdown_v2(text),
        Some(m) if m == "markdown" => Ok((text.replace(['*', '_', '`'], ""), Vec::new())),
        Some(m) if m.is_empty() => Ok((text.to_owned(), entities_vec(entities))),
        Some(_) => Err(ApiError::bad("unsupported parse_mode")),
        None => Ok((text.to_owned(), entities_vec(entities))),
    }
}

fn entities_vec(v: Option<Value>) -> Vec<Value> {
    v.and_then(|v| v.as_array().cloned()).unwrap_or_default()
}

/// Entities Telegram detects by itself: a leading bot command, URLs, mentions.
pub(crate) fn auto_entities(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut offset16 = 0usize;
    let mut word = String::new();
    let mut word_start = 0usize;
    let flush = |word: &mut String, start: usize, out: &mut Vec<Value>| {
        if word.is_empty() {
            return;
        }
        let len = utf16_len(word);
        let kind = if word.starts_with('/') && word.len() > 1 && start == 0 {
            Some("bot_command")
        } else if word.starts_with("https://") || word.starts_with("http://") {
            Some("url")
        } else if word.starts_with('@') && word.len() > 1 {
            Some("mention")
        } else {
            None
        };
        if let Some(k) = kind {
            out.push(json!({"type": k, "offset": start, "length": len}));
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_whitespace() {
            flush(&mut word, word_start, &mut out);
            offset16 += ch.len_utf16();
            word_start = offset16;
        } else {
            word.push(ch);
            offset16 += ch.len_utf16();
        }
    }
    flush(&mut word, word_start, &mut out);
    out
}

fn parse_err(what: impl AsRef<str>) -> ApiError {
    ApiError::bad(format!("can't parse entities: {}", what.as_ref()))
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let n = name.strip_prefix('#')?;
            let code = if let Some(h) = n.strip_prefix('x').or_else(|| n.strip_prefix('X')) {
                u32::from_str_radix(h, 16).ok()?
            } else {
                n.parse().ok()?
            };
            char::from_u32(code)
        }
    }
}

struct OpenTag {
    name: String,
    start16: usize,
    attr: Option<String>,
    extra: Option<String>,
}

/// Telegram's HTML style: b, strong, i, em, u, ins, s, strike, del, a, code, pre,
/// blockquote, tg-spoiler, span class="tg-spoiler", tg-emoji.
pub(crate) fn parse_html(src: &str) -> ApiResult<(String, Vec<Value>)> {
    let mut out = String::new();
    let mut len16 = 0usize;
    let mut stack: Vec<OpenTag> = Vec::new();
    let mut entities: Vec<Value> = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'&' {
            let end = src[i..].find(';').map(|e| i + e);
            if let Some(e) = end.filter(|e| e - i <= 10)
                && let Some(ch) = decode_entity(&src[i + 1..e])
            {
                out.push(ch);
                len16 += ch.len_utf16();
                i = e + 1;
                continue;
            }
            out.push('&');
            len16 += 1;
            i += 1;
            continue;
        }
        if c == b'<' {
            let Some(close) = src[i..].find('>').map(|e| i + e) else {
                return Err(parse_err(format!("Unclosed start tag at byte offset {i}")));
            };
            let inner = &src[i + 1..close];
            if let Some(name) = inner.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                let Some(open) = stack.pop() else {
                    return Err(parse_err(format!("Unexpected end tag at byte offset {i}")));
                };
                if !name.is_empty() && name != open.name {
                    return Err(parse_err(format!(
                        "Unmatched end tag at byte offset {i}, expected \"</{}>\", found \"</{}>\"",
                        open.name, name
                    )));
                }
                let length = len16 - open.start16;
                if let Some(e) = entity_for(&open, length) {
                    entities.push(e);
                }
                i = close + 1;
                continue;
            }
            let (name, rest) = match inner.find(|ch: char| ch.is_whitespace()) {
                Some(p) => (&inner[..p], inner[p..].trim()),
                None => (inner, ""),
            };
            let name = name.to_ascii_lowercase();
            let attr_val = |attr: &str| -> Option<String> {
                let p = rest.find(&format!("{attr}="))?;
                let v = rest[p + attr.len() + 1..].trim_start();
                let v = v.trim_start_matches(['"', '\'']);
                let end = v.find(['"', '\'']).unwrap_or(v.len());
                Some(v[..end].to_owned())
            };
            let (attr, extra) = match name.as_str() {
                "b" | "strong" | "i" | "em" | "u" | "ins" | "s" | "strike" | "del" | "code"
                | "pre" | "tg-spoiler" => {
                    let lang = if name == "code" {
                        attr_val("class")
                            .and_then(|c| c.strip_prefix("language-").map(str::to_owned))
                    } else {
                        None
                    };
                    (lang, None)
                }
                "blockquote" => (
                    None,
                    rest.contains("expandable").then(|| "expandable".to_owned()),
                ),
                "a" => {
                    let href = attr_val("href").unwrap_or_default();
                    (Some(href), None)
                }
                "span" => {
                    if attr_val("class").as_deref() != Some("tg-spoiler") {
                        return Err(parse_err(format!(
                            "Tag \"span\" must have class \"tg-spoiler\" at byte offset {i}"
                        )));
                    }
                    (None, None)
                }
                "tg-emoji" => (attr_val("emoji-id"), None),
                "br" => {
                    return Err(parse_err(format!(
                        "Unsupported start tag \"br\" at byte offset {i}"
                    )));
                }
                other => {
                    return Err(parse_err(format!(
                        "Unsupported start tag \"{other}\" at byte offset {i}"
                    )));
                }
            };
            // <pre><code class="language-x"> gives the pre a language.
            if name == "code"
                && let Some(top) = stack.last_mut()
                && top.name == "pre"
                && top.start16 == len16
                && attr.is_some()
            {
                top.attr = attr.clone();
            }
            stack.push(OpenTag {
                name,
                start16: len16,
                attr,
                extra,
            });
            i = close + 1;
            continue;
        }
        let ch = src[i..].chars().next().expect("in bounds");
        out.push(ch);
        len16 += ch.len_utf16();
        i += ch.len_utf8();
    }
    if let Some(open) = stack.pop() {
        return Err(parse_err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.name
        )));
    }
    entities.sort_by_key(|e| {
        (
            e["offset"].as_u64(),
            std::cmp::Reverse(e["length"].as_u64()),
        )
    });
    Ok((out, entities))
}

fn entity_for(tag: &OpenTag, length: usize) -> Option<Value> {
    if length == 0 {
        return None;
    }
    let offset = tag.start16;
    let kind = match tag.name.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "tg-spoiler" | "span" => "spoiler",
        "blockquote" if tag.extra.is_some() => "expandable_blockquote",
        "blockquote" => "blockquote",
        "code" => "code",
        "pre" => {
            let mut e = json!({"type": "pre", "offset": offset, "length": length});
            if let Some(l) = &tag.attr {
                e["language"] = json!(l);
            }
            return Some(e);
        }
        "a" => {
            let href = tag.attr.clone().unwrap_or_default();
            if let Some(id) = href.strip_prefix("tg://user?id=") {
                let id: i64 = id.parse().unwrap_or(0);
                return Some(
                    json!({"type": "text_mention", "offset": offset, "length": length,
                    "user": {"id": id, "is_bot": false, "first_name": "User"}}),
                );
            }
            return Some(
                json!({"type": "text_link", "offset": offset, "length": length, "url": href}),
            );
        }
        "tg-emoji" => {
            return Some(
                json!({"type": "custom_emoji", "offset": offset, "length": length,
                "custom_emoji_id": tag.attr.clone().unwrap_or_default()}),
            );
        }
        _ => return None,
    };
    Some(json!({"type": kind, "offset": offset, "length": length}))
}

/// MarkdownV2: escapes, *bold*, _italic_, __underline__, ~strike~, ||spoiler||,
/// `code`, ```pre```, [text](url). Unescaped reserved characters are an error.
pub(crate) fn parse_markdown_v2(src: &str) -> ApiResult<(String, Vec<Value>)> {
    const RESERVED: &str = "_*[]()~`>#+-=|{}.!";
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::new();
    let mut len16 = 0usize;
    let mut stack: Vec<(&'static str, usize)> = Vec::new();
    let mut entities = Vec::new();
    let mut link_start: Option<usize> = None;
    let mut i = 0usize;
    let toggle = |stack: &mut Vec<(&'static str, usize)>,
                  entities: &mut Vec<Value>,
                  kind: &'static str,
                  at: usize| {
        if let Some(pos) = stack.iter().rposition(|(k, _)| *k == kind) {
            let (_, start) = stack.remove(pos);
            if at > start {
                entities.push(json!({"type": kind, "offset": start, "length": at - start}));
            }
        } else {
            stack.push((kind, at));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                len16 += chars[i + 1].len_utf16();
                i += 2;
            }
            '*' => {
                toggle(&mut stack, &mut entities, "bold", len16);
                i += 1;
            }
            '_' if chars.get(i + 1) == Some(&'_') => {
                toggle(&mut stack, &mut entities, "underline", len16);
                i += 2;
            }
            '_' => {
                toggle(&mut stack, &mut entities, "italic", len16);
                i += 1;
            }
            '~' => {
                toggle(&mut stack, &mut entities, "strikethrough", len16);
                i += 1;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                toggle(&mut stack, &mut entities, "spoiler", len16);
                i += 2;
            }
            '`' => {
                let fence = chars[i..].starts_with(&['`', '`', '`']);
                let skip = if fence { 3 } else { 1 };
                let start = len16;
                let mut j = i + skip;
                let mut found = false;
                while j < chars.len() {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        out.push(chars[j + 1]);
                        len16 += chars[j + 1].len_utf16();
                        j += 2;
                        continue;
                    }
                    if chars[j..].starts_with(&vec!['`'; skip]) {
                        found = true;
                        break;
                    }
                    out.push(chars[j]);
                    len16 += chars[j].len_utf16();
                    j += 1;
                }
                if !found {
                    return Err(parse_err(format!(
                        "Can't find end of {} entity at byte offset {}",
                        if fence { "Pre" } else { "Code" },
                        i
                    )));
                }
                let kind = if fence { "pre" } else { "code" };
                if len16 > start {
                    entities.push(json!({"type": kind, "offset": start, "length": len16 - start}));
                }
                i = j + skip;
            }
            '[' => {
                link_start = Some(len16);
                i += 1;
            }
            ']' if link_start.is_some() && chars.get(i + 1) == Some(&'(') => {
                let close = chars[i..].iter().position(|c| *c == ')').map(|p| p + i);
                let Some(close) = close else {
                    return Err(parse_err("Can't find end of a URL"));
                };
                let url: String = chars[i + 2..close].iter().filter(|c| **c != '\\').collect();
                let start = link_start.take().unwrap_or(0);
                entities.push(json!({"type": "text_link", "offset": start, "length": len16 - start, "url": url}));
                i = close + 1;
            }
            c if RESERVED.contains(c) => {
                return Err(parse_err(format!(
                    "Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )));
            }
            c => {
                out.push(c);
                len16 += c.len_utf16();
                i += 1;
            }
        }
    }
    if let Some((kind, _)) = stack.pop() {
        let name = match kind {
            "bold" => "Bold",
            "italic" => "Italic",
            "underline" => "Underline",
            "strikethrough" => "Strikethrough",
            _ => "Spoiler",
        };
        return Err(parse_err(format!(
            "Can't find end of {name} entity at byte offset {}",
            src.len()
        )));
    }
    Ok((out, entities))
}

/// Validate a `reply_markup` and split it into what the Message shows
/// (inline keyboards only) and the reply keyboard texts.
pub(crate) fn check_reply_markup(
    markup: Option<Value>,
) -> ApiResult<(Option<Value>, Option<ReplyKeyboard>)> {
    let Some(markup) = markup else {
        return Ok((None, None));
    };
    let Some(obj) = markup.as_object() else {
        return Err(ApiError::bad(
            "can't parse reply keyboard markup JSON object",
        ));
    };
    if let Some(rows) = obj.get("inline_keyboard") {
        let rows = rows
            .as_array()
            .ok_or_else(|| ApiError::bad("field \"inline_keyboard\" must be an Array"))?;
        let mut clean_rows = Vec::new();
        for row in rows {
            let row = row.as_array().ok_or_else(|| {
                ApiError::bad("field \"inline_keyboard\" must be an Array of Arrays")
            })?;
            let mut clean = Vec::new();
            for b in row {
                let b = b
                    .as_object()
                    .ok_or_else(|| ApiError::bad("can't find field \"text\""))?;
                if !b.contains_key("text") {
                    return Err(ApiError::bad("can't find field \"text\""));
                }
                if let Some(d) = b.get("callback_data") {
                    let d = d.as_str().unwrap_or_default();
                    if d.is_empty() || d.len() > 64 {
                        return Err(ApiError::bad("BUTTON_DATA_INVALID"));
                    }
                }
                if let Some(u) = b.get("url") {
                    let u = u.as_str().unwrap_or_default();
                    let ok = ["http://", "https://", "tg://"]
                        .iter()
                        .any(|p| u.starts_with(p))
                        && u.len() > 8;
                    if !ok {
                        return Err(ApiError::bad("BUTTON_URL_INVALID"));
                    }
                }
                let kinds = [
                    "callback_data",
                    "url",
                    "login_url",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                    "switch_inline_query_chosen_chat",
                    "copy_text",
                    "callback_game",
                    "pay",
                    "web_app",
                ];
                if !kinds.iter().any(|k| b.contains_key(*k)) {
                    return Err(ApiError::bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                    ));
                }
                clean.push(Value::Object(b.clone()));
            }
            clean_rows.push(Value::Array(clean));
        }
        if clean_rows
            .iter()
            .all(|r| r.as_array().is_some_and(|a| a.is_empty()))
        {
            return Ok((None, None));
        }
        return Ok((Some(json!({"inline_keyboard": clean_rows})), None));
    }
    if let Some(rows) = obj.get("keyboard").and_then(Value::as_array) {
        let texts = rows
            .iter()
            .map(|r| {
                r.as_array()
                    .map(|r| {
                        r.iter()
                            .map(|b| match b {
                                Value::String(s) => s.clone(),
                                other => other["text"].as_str().unwrap_or_default().to_owned(),
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        return Ok((None, Some(texts)));
    }
    Ok((None, None))
}

/// Text message checks: "message text is empty" / "message is too long".
pub(crate) fn check_text(text: &str) -> ApiResult<()> {
    if text.trim().is_empty() {
        return Err(ApiError::bad("message text is empty"));
    }
    if utf16_len(text) > 4096 {
        return Err(ApiError::bad("message is too long"));
    }
    Ok(())
}

pub(crate) fn check_caption(caption: &str) -> ApiResult<()> {
    if utf16_len(caption) > 1024 {
        return Err(ApiError::bad("message caption is too long"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_bold_and_link_become_entities_with_utf16_offsets() {
        let (t, e) = parse_html("héllo <b>wörld</b> <a href=\"https://x.y\">🙂 l</a>").unwrap();
        assert_eq!(t, "héllo wörld 🙂 l");
        assert_eq!(e[0], json!({"type":"bold","offset":6,"length":5}));
        assert_eq!(
            e[1],
            json!({"type":"text_link","offset":12,"length":4,"url":"https://x.y"})
        );
    }

    #[test]
    fn html_entities_are_decoded() {
        let (t, e) = parse_html("a &lt;b&gt; &amp; &#65;").unwrap();
        assert_eq!(t, "a <b> & A");
        assert!(e.is_empty());
    }

    #[test]
    fn html_unclosed_tag_is_rejected() {
        let err = parse_html("<b>bold").unwrap_err();
        assert!(
            err.description
                .starts_with("Bad Request: can't parse entities:")
        );
    }

    #[test]
    fn html_unknown_tag_is_rejected() {
        let err = parse_html("<div>x</div>").unwrap_err();
        assert!(err.description.contains("Unsupported start tag \"div\""));
    }

    #[test]
    fn html_pre_with_code_language_is_kept() {
        let (t, e) = parse_html("<pre><code class=\"language-rust\">fn x</code></pre>").unwrap();
        assert_eq!(t, "fn x");
        assert!(
            e.iter()
                .any(|e| e["type"] == "pre" && e["language"] == "rust")
        );
    }

    #[test]
    fn markdown_v2_unescaped_dot_is_rejected() {
        let err = parse_markdown_v2("Hello.").unwrap_err();
        assert!(err.description.contains("Character '.' is reserved"));
        let (t, e) = parse_markdown_v2("*Hi* there\\.").unwrap();
        assert_eq!(t, "Hi there.");
        assert_eq!(e[0]["type"], "bold");
    }

    #[test]
    fn a_leading_slash_command_gets_a_bot_command_entity() {
        let e = auto_entities("/start abc");
        assert_eq!(e, vec![json!({"type":"bot_command","offset":0,"length":6})]);
    }
}
