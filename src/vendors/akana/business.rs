//! What every Akana resource shares: each lives in one business, named by its ID — the
//! resources' key, identity and import ID, the data sources' argument — and the errors when no
//! such business exists.

use serde::{Deserialize, Serialize};

use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

/// The `business_id` argument.
pub fn attribute() -> Attribute {
    Attribute::required(
        "business_id",
        Type::String,
        "The business, by its ID; the tenant's root business is `tenantbusiness.<fed_member_id>`.",
    )
    .force_new()
    .validate(Validator::NotEmpty)
    .validate(Validator::Trimmed)
}

/// The business, by its ID: the identity of every Akana resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub business_id: Attr<String>,
}

impl Identity {
    pub fn schema() -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required(
            "business_id",
            Type::String,
            "The business, e.g. `tenantbusiness.acmepaymentscorp` for the tenant's root business.",
        )])
    }

    pub fn of(business_id: &Attr<String>) -> Identity {
        Identity { business_id: business_id.clone() }
    }

    pub fn import_id(&self) -> Result<String, String> {
        self.business_id.known().cloned().ok_or_else(|| "business_id is required".into())
    }
}

/// The business an import ID names, or the error saying what it should be.
pub fn import_key(id: &str, diags: &mut Diagnostics) -> Option<String> {
    let business = id.trim().to_string();
    if business.is_empty() {
        diags.error(
            "Invalid import ID",
            "The import ID is the business ID, e.g. tenantbusiness.acmepaymentscorp for the tenant's root business; it is empty.",
        );
        return None;
    }
    Some(business)
}

/// No such business (HTTP 404): an error on `business_id`.
pub fn not_found(diags: &mut Diagnostics, business: &str) {
    diags.attr_error(
        AttrPath::attr("business_id"),
        "Akana business not found",
        format!(
            "Business {business:?} does not exist on this platform (HTTP 404). The tenant's root business is \
             tenantbusiness.<fed_member_id>, e.g. tenantbusiness.acmepaymentscorp."
        ),
    );
}

/// No such business to import.
pub fn nothing_to_import(diags: &mut Diagnostics, business: &str) {
    diags.error(
        "Akana business not found",
        format!(
            "Business {business:?} does not exist on this platform (HTTP 404), so there is nothing to import. The tenant's root \
             business is tenantbusiness.<fed_member_id>."
        ),
    );
}
