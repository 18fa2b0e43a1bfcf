//! A problem with one input field. A leaf module: forms (`html`) show these next to their
//! fields and errors (`error`) carry them, and neither needs the other to name the type.

use serde::Serialize;

/// A problem with one input field, shown next to that field on forms.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
