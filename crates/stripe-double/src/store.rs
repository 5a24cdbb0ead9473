//! In-memory state: every object by id, creation order per object kind, idempotency records,
//! recorded requests, injected faults and webhook deliveries.

use std::collections::HashMap;

use serde_json::Value;

use crate::{DeliveryRecord, RecordedRequest, StripeFault};

pub struct IdempotencyRecord {
    pub method: String,
    pub path: String,
    pub params: Value,
    pub status: u16,
    pub body: Value,
}

pub struct FaultRule {
    pub path_prefix: String,
    pub fault: StripeFault,
    pub remaining: u32,
}

#[derive(Default)]
pub struct Store {
    objects: HashMap<String, Value>,
    order: HashMap<String, Vec<String>>,
    pub idempotency: HashMap<String, IdempotencyRecord>,
    pub requests: Vec<RecordedRequest>,
    pub faults: Vec<FaultRule>,
    pub deliveries: Vec<DeliveryRecord>,
    /// Side data per object id that Stripe keeps but does not render (a session's line
    /// items and `payment_intent_data`, …).
    pub extras: HashMap<String, Value>,
    /// Events caused by the API request being handled, to deliver in the background.
    pub fresh_events: Vec<Value>,
    pub webhook_url: Option<String>,
    pub auto_deliver: bool,
    /// Other Stripe accounts this double serves besides the platform's: secret key → where
    /// that account's events go and the secret they are signed with.
    pub accounts: HashMap<String, AccountHook>,
    /// Which account (by secret key) created an object; absent: the platform.
    pub owner: HashMap<String, String>,
}

/// Where one account's events are posted, and the endpoint secret they are signed with.
#[derive(Debug, Clone)]
pub struct AccountHook {
    pub webhook_url: Option<String>,
    pub webhook_secret: String,
}

impl Store {
    /// Insert or replace an object, keyed by its `id`, listed under its `object` kind.
    pub fn put(&mut self, obj: Value) {
        let id = obj["id"].as_str().unwrap_or_default().to_string();
        let kind = obj["object"].as_str().unwrap_or_default().to_string();
        if self.objects.insert(id.clone(), obj).is_none() {
            self.order.entry(kind).or_default().push(id);
        }
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.objects.get(id)
    }

    /// The object with this id if it is of this kind (`"customer"`, `"checkout.session"`, …).
    pub fn get_kind(&self, kind: &str, id: &str) -> Option<&Value> {
        self.objects
            .get(id)
            .filter(|o| o["object"].as_str() == Some(kind))
    }

    pub fn get_kind_mut(&mut self, kind: &str, id: &str) -> Option<&mut Value> {
        self.objects
            .get_mut(id)
            .filter(|o| o["object"].as_str() == Some(kind))
    }

    /// All objects of a kind, oldest first.
    pub fn list(&self, kind: &str) -> Vec<Value> {
        self.order
            .get(kind)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.objects.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The newest object of a kind that `wanted` accepts; only it is cloned.
    pub fn find_last(&self, kind: &str, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        self.order
            .get(kind)?
            .iter()
            .rev()
            .filter_map(|id| self.objects.get(id))
            .find(|o| wanted(o))
            .cloned()
    }

    /// The account (secret key) an event's object belongs to: the creator of the object, or
    /// of the Checkout Session that paid through its PaymentIntent. None: the platform.
    pub fn account_of(&self, object: &Value) -> Option<&AccountHook> {
        let id = object["id"].as_str().unwrap_or_default();
        let key = self.owner.get(id).or_else(|| {
            let pi = if object["object"] == "payment_intent" {
                id
            } else {
                object["payment_intent"].as_str()?
            };
            self.order.get("checkout.session")?.iter().find_map(|sid| {
                let paid_with = self.extras.get(sid)?["payment_intent"].as_str()?;
                (paid_with == pi).then(|| self.owner.get(sid)).flatten()
            })
        })?;
        self.accounts.get(key)
    }

    /// Remove an object (deleted customers and products).
    pub fn remove(&mut self, id: &str) -> Option<Value> {
        let removed = self.objects.remove(id)?;
        if let Some(kind) = removed["object"].as_str()
            && let Some(ids) = self.order.get_mut(kind)
        {
            ids.retain(|i| i != id);
        }
        Some(removed)
    }
}
