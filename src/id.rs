//! Typed ids: one small macro so every entity's id is its own type. A team's id cannot be
//! passed where a member's or a round's is meant, and the compiler says so instead of a query
//! quietly finding nothing. Each id is serialised as the plain string (serde transparent), so
//! URLs, JSON and stored values keep their shape; diesel sees `as_str()` at the store
//! boundary, and rows read ids back with `#[diesel(deserialize_as = String)]` through `From`.

/// Declares `pub struct $name(String)` with the conversions every id needs, and nothing
/// else: no `Deref`, so an id is never silently used as any string.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl maud::Render for $name {
            fn render_to(&self, buffer: &mut String) {
                self.0.as_str().render_to(buffer)
            }
        }
    };
}

/// A nullable id column as a row reads it: diesel loads `Option<String>`, and the row's field
/// is `Option<SomeId>` (`#[diesel(deserialize_as = crate::id::OptionalId)]`), so an owner,
/// a question or a team that may be absent is still typed, never a bare string.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct OptionalId(Option<String>);

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>
    for OptionalId
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)
            .map(|s| Self(Some(s)))
    }

    fn from_nullable_sql(bytes: Option<DB::RawValue<'_>>) -> diesel::deserialize::Result<Self> {
        match bytes {
            Some(b) => Self::from_sql(b),
            None => Ok(Self(None)),
        }
    }
}

impl<T: From<String>> From<OptionalId> for Option<T> {
    fn from(id: OptionalId) -> Self {
        id.0.map(T::from)
    }
}

#[cfg(test)]
mod tests {
    crate::typed_id!(
        /// An id only these tests use.
        SampleId
    );

    #[test]
    fn an_id_is_the_plain_string_on_the_wire_both_ways() {
        let id = SampleId::from("abc-123");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc-123\"");
        let back: SampleId = serde_json::from_str("\"abc-123\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(id.to_string(), "abc-123");
        assert_eq!(id.as_str(), "abc-123");
        assert_eq!(id.clone().into_string(), "abc-123");
        assert_eq!(maud::html! { (id) }.into_string(), "abc-123");
    }

    #[test]
    fn an_id_is_not_a_number_or_an_object_on_the_wire() {
        assert!(serde_json::from_str::<SampleId>("42").is_err());
        assert!(serde_json::from_str::<SampleId>("{\"id\":\"a\"}").is_err());
    }

    #[test]
    fn an_id_is_escaped_when_rendered() {
        let id = SampleId::from("<b>");
        assert_eq!(maud::html! { (id) }.into_string(), "&lt;b&gt;");
    }
}
