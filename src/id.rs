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
