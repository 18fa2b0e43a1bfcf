//! The API docs page (`/api/docs`): the generated OpenAPI document as plain HTML, grouped by
//! tag, with each operation's parameters, body, answers and whether it is anonymous, then
//! every schema. No JavaScript and no asset beyond the site's own stylesheet, so it works
//! under the site's CSP, offline and in any browser. `view` reads the document (as JSON, the
//! form clients see) into view structs; `render` is a pure maud function over them.

use maud::{html, Markup};
use serde_json::Value;

use crate::html::layout;

/// A type as shown: plain words, and links to the schemas it names.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Text(String),
    Schema(String),
}

pub struct DocView {
    pub title: String,
    pub version: String,
    pub description: String,
    pub groups: Vec<TagGroup>,
    pub schemas: Vec<SchemaView>,
}

pub struct TagGroup {
    pub name: String,
    pub description: String,
    pub ops: Vec<OpView>,
}

pub struct OpView {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub anonymous: bool,
    pub params: Vec<FieldView>,
    pub body: Option<Vec<Ty>>,
    pub responses: Vec<ResponseView>,
}

pub struct ResponseView {
    pub status: String,
    pub description: String,
    pub content_type: Option<String>,
    pub ty: Option<Vec<Ty>>,
}

pub struct SchemaView {
    pub name: String,
    pub description: String,
    /// For a schema that is not an object with properties (an enum, say).
    pub ty: Option<Vec<Ty>>,
    pub fields: Vec<FieldView>,
    /// For a `oneOf` (a tagged enum such as round results): each alternative's own fields.
    pub variants: Vec<Variant>,
}

pub struct Variant {
    pub label: Vec<Ty>,
    pub description: String,
    pub fields: Vec<FieldView>,
}

pub struct FieldView {
    pub name: String,
    /// `path`, `query` or empty for a schema's property.
    pub location: String,
    pub ty: Vec<Ty>,
    pub required: bool,
    pub description: String,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A schema's type in a few words: `string`, `[Team]`, `integer or null`, `"open" | "closed"`.
pub fn type_of(s: &Value) -> Vec<Ty> {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return vec![Ty::Schema(r.rsplit('/').next().unwrap_or(r).to_owned())];
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let words: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        return vec![Ty::Text(words.join(" | "))];
    }
    for (key, joiner) in [("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            return joined(list.iter().map(type_of), joiner);
        }
    }
    let kinds: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if kinds.is_empty() {
        return vec![Ty::Text("any".into())];
    }
    joined(
        kinds.into_iter().map(|k| match k {
            "array" => {
                let mut t = vec![Ty::Text("[".into())];
                t.extend(s.get("items").map(type_of).unwrap_or_default());
                t.push(Ty::Text("]".into()));
                t
            }
            "object" if s.get("properties").is_some() => vec![Ty::Text("object".into())],
            other => vec![Ty::Text(other.to_owned())],
        }),
        " or ",
    )
}

fn joined(parts: impl Iterator<Item = Vec<Ty>>, joiner: &str) -> Vec<Ty> {
    let mut out = Vec::new();
    for (i, p) in parts.enumerate() {
        if i > 0 {
            out.push(Ty::Text(joiner.to_owned()));
        }
        out.extend(p);
    }
    out
}

fn fields(schema: &Value) -> Vec<FieldView> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out: Vec<FieldView> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| FieldView {
                    name: name.clone(),
                    location: String::new(),
                    ty: type_of(p),
                    required: required.contains(&name.as_str()),
                    description: text(p, "description"),
                })
                .collect()
        })
        .unwrap_or_default();
    // An alternative that adds a tag to another schema: the tag's fields, after the schema.
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(fields(part));
    }
    out
}

fn variants(schema: &Value) -> Vec<Variant> {
    schema
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| Variant {
            label: type_of(v),
            description: text(v, "description"),
            fields: fields(v),
        })
        .collect()
}

fn content_type(v: &Value) -> Option<(String, &Value)> {
    v.get("content")
        .and_then(Value::as_object)
        .and_then(|c| c.iter().next())
        .map(|(k, v)| (k.clone(), v))
}

const METHODS: [&str; 5] = ["get", "post", "patch", "put", "delete"];

/// Reads the document into the page's view. Operations keep the document's order, grouped
/// under the tags in the order the document lists them.
pub fn view(doc: &Value) -> DocView {
    let info = &doc["info"];
    let mut groups: Vec<TagGroup> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| TagGroup {
            name: text(t, "name"),
            description: text(t, "description"),
            ops: vec![],
        })
        .collect();
    let global_anonymous = doc["security"].as_array().is_some_and(Vec::is_empty);
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let anonymous = match op.get("security") {
                Some(s) => s.as_array().is_some_and(Vec::is_empty),
                None => global_anonymous,
            };
            let params = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| FieldView {
                    name: text(p, "name"),
                    location: text(p, "in"),
                    ty: type_of(&p["schema"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    description: text(p, "description"),
                })
                .collect();
            let body = op
                .get("requestBody")
                .and_then(content_type)
                .map(|(_, c)| type_of(&c["schema"]));
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    let content = content_type(r);
                    ResponseView {
                        status: status.clone(),
                        description: text(r, "description"),
                        ty: content.as_ref().map(|(_, c)| type_of(&c["schema"])),
                        content_type: content.map(|(t, _)| t),
                    }
                })
                .collect();
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let o = OpView {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                anonymous,
                params,
                body,
                responses,
            };
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(g) => g.ops.push(o),
                None => groups.push(TagGroup {
                    name: tag,
                    description: String::new(),
                    ops: vec![o],
                }),
            }
        }
    }
    groups.retain(|g| !g.ops.is_empty());
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let (fields, variants) = (fields(s), variants(s));
            SchemaView {
                name: name.clone(),
                description: text(s, "description"),
                ty: (fields.is_empty() && variants.is_empty()).then(|| type_of(s)),
                fields,
                variants,
            }
        })
        .collect();
    DocView {
        title: text(info, "title"),
        version: text(info, "version"),
        description: text(info, "description"),
        groups,
        schemas,
    }
}

fn anchor(method: &str, path: &str) -> String {
    let mut a = format!("op-{}", method.to_lowercase());
    for c in path.chars() {
        a.push(if c.is_ascii_alphanumeric() { c } else { '-' });
    }
    a
}

/// Prose from doc comments: `backticked` words become code, the rest is escaped text.
fn prose(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

fn ty(t: &[Ty]) -> Markup {
    html! {
        code {
            @for part in t {
                @match part {
                    Ty::Text(s) => (s),
                    Ty::Schema(name) => a href=(format!("#schema-{name}")) { (name) },
                }
            }
        }
    }
}

fn field_rows(fields: &[FieldView], show_location: bool) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "Name" }
                @if show_location { th scope="col" { "In" } }
                th scope="col" { "Type" }
                th scope="col" { "Required" }
                th scope="col" { "Description" }
            } }
            tbody {
                @for f in fields {
                    tr {
                        td { code { (f.name) } }
                        @if show_location { td { (f.location) } }
                        td { (ty(&f.ty)) }
                        td { @if f.required { "yes" } @else { "no" } }
                        td { (prose(&f.description)) }
                    }
                }
            }
        }
    }
}

fn operation(o: &OpView) -> Markup {
    html! {
        section.operation id=(anchor(&o.method, &o.path)) {
            h3 { code { (o.method) " /api/v1" (o.path) } }
            p {
                @if o.anonymous {
                    strong { "Anonymous" } ": no credentials; the server sets and reads no cookie here and writes no log line."
                } @else {
                    "Staff: a bearer API token, or the session cookie with " code { "X-CSRF-Token" } " on writes."
                }
            }
            @for para in [o.summary.as_str()].into_iter().chain(o.description.split("\n\n")).filter(|p| !p.trim().is_empty()) {
                p { (prose(para)) }
            }
            @if !o.params.is_empty() {
                h4 { "Parameters" }
                (field_rows(&o.params, true))
            }
            @if let Some(b) = &o.body {
                h4 { "Request body" }
                p { code { "application/json" } ": " (ty(b)) }
            }
            h4 { "Responses" }
            table {
                thead { tr { th scope="col" { "Status" } th scope="col" { "Meaning" } th scope="col" { "Body" } } }
                tbody {
                    @for r in &o.responses {
                        tr {
                            td { (r.status) }
                            td { (prose(&r.description)) }
                            td {
                                @if let Some(t) = &r.ty { (ty(t)) }
                                @if let Some(c) = &r.content_type { " " small { "(" (c) ")" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The page: a contents list, each tag's operations, then the schemas.
pub fn render(d: &DocView) -> Markup {
    let body = html! {
        h1 { (d.title) " " small { "version " (d.version) } }
        p { (prose(&d.description)) }
        p {
            "The machine-readable document (OpenAPI 3.1): "
            a href=(super::DOCUMENT_PATH) { (super::DOCUMENT_PATH) } ". Every path below is relative to "
            code { "/api/v1" } "."
        }
        section #contents aria-label="Operations" {
            h2 { "Contents" }
            @for g in &d.groups {
                h3 { (g.name) }
                ul {
                    @for o in &g.ops {
                        li {
                            a href=(format!("#{}", anchor(&o.method, &o.path))) { code { (o.method) " " (o.path) } }
                            " " (prose(&o.summary))
                            @if o.anonymous { " (anonymous)" }
                        }
                    }
                }
            }
            p { a href="#schemas" { "Schemas" } }
        }
        @for g in &d.groups {
            section id=(format!("tag-{}", g.name.replace(' ', "-"))) {
                h2 { (g.name) }
                @if !g.description.is_empty() { p { (prose(&g.description)) } }
                @for o in &g.ops { (operation(o)) }
            }
        }
        section #schemas {
            h2 { "Schemas" }
            @for s in &d.schemas {
                section.schema id=(format!("schema-{}", s.name)) {
                    h3 { (s.name) }
                    @if !s.description.is_empty() { p { (prose(&s.description)) } }
                    @if let Some(t) = &s.ty { p { (ty(t)) } }
                    @if !s.fields.is_empty() { (field_rows(&s.fields, false)) }
                    @for (i, v) in s.variants.iter().enumerate() {
                        h4 { "One of (" (i + 1) "): " (ty(&v.label)) }
                        @if !v.description.is_empty() { p { (prose(&v.description)) } }
                        @if !v.fields.is_empty() { (field_rows(&v.fields, false)) }
                    }
                }
            }
        }
    };
    layout("API documentation", None, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_read_as_words_with_links_to_schemas() {
        assert_eq!(
            type_of(&json!({"type": "array", "items": {"$ref": "#/components/schemas/Team"}})),
            vec![
                Ty::Text("[".into()),
                Ty::Schema("Team".into()),
                Ty::Text("]".into())
            ]
        );
        assert_eq!(
            type_of(&json!({"type": ["integer", "null"]})),
            vec![
                Ty::Text("integer".into()),
                Ty::Text(" or ".into()),
                Ty::Text("null".into())
            ]
        );
        assert_eq!(
            type_of(&json!({"type": "string", "enum": ["open", "closed"]})),
            vec![Ty::Text("\"open\" | \"closed\"".into())]
        );
        assert_eq!(type_of(&json!({})), vec![Ty::Text("any".into())]);
    }
}
