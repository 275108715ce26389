//! What every vendor's resources share, once: the settings lifecycle ([`settings`]) and the data
//! source derived from it ([`data`]), the destroy rule and its wording ([`restore`]), and the
//! provider settings every provider type has ([`provider_settings`]), and the baselines every
//! provider type judges settings against ([`baseline`]).

pub mod baseline;
pub mod data;
pub mod provider_settings;
pub mod restore;
pub mod settings;
