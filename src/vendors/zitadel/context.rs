//! What every ZITADEL resource of one provider process works with: the API client, and the plan
//! coordination the resources share ([`super::coordination`]).

use super::client::ZitadelClient;
use super::coordination::Coordination;

pub struct Zitadel {
    pub api: ZitadelClient,
    pub plans: Coordination,
}

impl Zitadel {
    pub fn new(api: ZitadelClient) -> Self {
        Zitadel { api, plans: Coordination::default() }
    }
}

/// The resources call the API most of the time: `ctx.client.policy(…)` reads as the API call it is.
impl std::ops::Deref for Zitadel {
    type Target = ZitadelClient;
    fn deref(&self) -> &ZitadelClient {
        &self.api
    }
}
