//! Test-side actions: change state as Stripe would, store the event, POST it signed to the
//! webhook URL and report what the app answered.

use serde_json::Value;

use crate::error::{ApiError, DoubleError};
use crate::ids::now;
use crate::ops::{self, Completion};
use crate::{Delivered, DeliveryRecord, StripeDouble};

fn driver_error(e: ApiError) -> DoubleError {
    if e.status == 404 {
        DoubleError::NotFound {
            kind: "object",
            id: e.message,
        }
    } else {
        DoubleError::InvalidState(e.message)
    }
}

impl StripeDouble {
    /// The customer pays: the session becomes `complete`/`paid`, a PaymentIntent and a
    /// Charge are created (subscription mode: also a `sub_…` id; setup mode: a `seti_…` id),
    /// a Customer is created when Stripe would; `checkout.session.completed` is sent.
    ///
    /// In `subscription` mode the subscription starts: `customer.subscription.created` and
    /// the first `invoice.paid` follow the session's event.
    pub async fn complete_checkout(&self, session_id: &str) -> Result<Delivered, DoubleError> {
        let (event, more) = {
            let mut store = self.lock();
            let event = ops::complete_session(&mut store, session_id, Completion::Paid)
                .map_err(driver_error)?;
            let session = &event["data"]["object"];
            let more = match (
                session["mode"].as_str(),
                session["subscription"].as_str(),
                session["invoice"].as_str(),
                session["customer"].as_str(),
            ) {
                (Some("subscription"), Some(sub), Some(invoice), Some(customer)) => {
                    crate::billing::start_from_session(
                        &mut store,
                        &self.inner.base_url,
                        session,
                        customer,
                        sub,
                        invoice,
                    )
                }
                _ => Vec::new(),
            };
            (event, more)
        };
        let first = self.send(event).await?;
        self.send_all(more).await?;
        Ok(first)
    }

    async fn send_all(&self, events: Vec<Value>) -> Result<Vec<Delivered>, DoubleError> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            out.push(self.send(event).await?);
        }
        Ok(out)
    }

    /// The billing engine reaches the subscription's period end: the next invoice is paid
    /// (`invoice.paid`, `customer.subscription.updated`), or, when it was set to cancel at
    /// the period end, it ends (`customer.subscription.deleted`).
    pub async fn renew_subscription(&self, id: &str) -> Result<Vec<Delivered>, DoubleError> {
        let events = crate::billing::renew(&mut self.lock(), &self.inner.base_url, id)
            .map_err(driver_error)?;
        self.send_all(events).await
    }

    /// The renewal charge is declined: `invoice.payment_failed` (the invoice stays open with
    /// its `hosted_invoice_url`) and `customer.subscription.updated` (`past_due`).
    pub async fn fail_subscription_renewal(&self, id: &str) -> Result<Vec<Delivered>, DoubleError> {
        let events = crate::billing::fail_renewal(&mut self.lock(), &self.inner.base_url, id)
            .map_err(driver_error)?;
        self.send_all(events).await
    }

    /// The customer pays an open invoice: `invoice.paid`, and a past-due subscription is
    /// `active` again (`customer.subscription.updated`).
    pub async fn pay_invoice(&self, invoice_id: &str) -> Result<Vec<Delivered>, DoubleError> {
        let events =
            crate::billing::pay_open_invoice(&mut self.lock(), invoice_id).map_err(driver_error)?;
        self.send_all(events).await
    }

    /// The customer sets the subscription to cancel at the period end (or takes that back) in
    /// the customer portal: `customer.subscription.updated`.
    pub async fn portal_cancel_at_period_end(
        &self,
        id: &str,
        cancel: bool,
    ) -> Result<Delivered, DoubleError> {
        let event = {
            let mut store = self.lock();
            crate::billing::update(
                &mut store,
                id,
                &serde_json::json!({ "cancel_at_period_end": cancel }),
                None,
            )
            .map_err(driver_error)?;
            store
                .find_last("event", |e| e["type"] == "customer.subscription.updated")
                .ok_or_else(|| DoubleError::InvalidState("no event recorded".into()))?
        };
        self.send(event).await
    }

    /// Stripe's retries run out on a past-due subscription: it ends
    /// (`customer.subscription.deleted`).
    pub async fn end_unpaid_subscription(&self, id: &str) -> Result<Vec<Delivered>, DoubleError> {
        let events = crate::billing::give_up(&mut self.lock(), id).map_err(driver_error)?;
        self.send_all(events).await
    }

    /// The customer pays with a delayed method: `checkout.session.completed` with
    /// `payment_status: "unpaid"`; the PaymentIntent is `processing`.
    pub async fn complete_checkout_async_pending(
        &self,
        session_id: &str,
    ) -> Result<Delivered, DoubleError> {
        let event = ops::complete_session(&mut self.lock(), session_id, Completion::Pending)
            .map_err(driver_error)?;
        self.send(event).await
    }

    /// The delayed payment clears: `checkout.session.async_payment_succeeded`.
    pub async fn async_payment_succeeded(
        &self,
        session_id: &str,
    ) -> Result<Delivered, DoubleError> {
        let event = ops::async_payment(&mut self.lock(), session_id, true).map_err(driver_error)?;
        self.send(event).await
    }

    /// The delayed payment fails: `checkout.session.async_payment_failed`.
    pub async fn async_payment_failed(&self, session_id: &str) -> Result<Delivered, DoubleError> {
        let event =
            ops::async_payment(&mut self.lock(), session_id, false).map_err(driver_error)?;
        self.send(event).await
    }

    /// The session times out: `checkout.session.expired`.
    pub async fn expire_checkout(&self, session_id: &str) -> Result<Delivered, DoubleError> {
        let (_, event) =
            ops::expire_session(&mut self.lock(), session_id, None).map_err(driver_error)?;
        self.send(event).await
    }

    /// Refund `amount` (default: what remains) of a PaymentIntent's charge, as from the
    /// Dashboard: a refund object and `charge.refunded`.
    pub async fn refund_payment(
        &self,
        payment_intent_id: &str,
        amount: Option<i64>,
    ) -> Result<Delivered, DoubleError> {
        let event = {
            let mut store = self.lock();
            let charge = ops::charge_of(&store, payment_intent_id, "payment_intent")
                .map_err(driver_error)?;
            ops::refund(
                &mut store,
                charge,
                amount,
                Some("requested_by_customer".into()),
                Default::default(),
                None,
            )
            .map_err(driver_error)?
            .1
        };
        self.send(event).await
    }

    /// The cardholder disputes the charge: `charge.dispute.created`.
    pub async fn dispute_payment(&self, payment_intent_id: &str) -> Result<Delivered, DoubleError> {
        let event = ops::dispute(&mut self.lock(), payment_intent_id).map_err(driver_error)?;
        self.send(event).await
    }

    /// The payment attempt is declined: `payment_intent.payment_failed`.
    pub async fn fail_payment_intent(
        &self,
        payment_intent_id: &str,
    ) -> Result<Delivered, DoubleError> {
        let event = ops::fail_payment_intent(&mut self.lock(), payment_intent_id, None)
            .map_err(driver_error)?;
        self.send(event).await
    }

    /// Send a stored event again (a Stripe retry: same id, same content, fresh signature).
    pub async fn redeliver(&self, event_id: &str) -> Result<Delivered, DoubleError> {
        let event = self.event(event_id).ok_or_else(|| DoubleError::NotFound {
            kind: "event",
            id: event_id.to_string(),
        })?;
        self.send(event).await
    }

    /// The seller finishes Connect onboarding: the account takes charges and payouts, nothing
    /// is due; `account.updated` (with the top-level `account`) goes to the platform's endpoint.
    pub async fn complete_onboarding(&self, account: &str) -> Result<Delivered, DoubleError> {
        self.update_account(account, true, &[]).await
    }

    /// Stripe asks the account for `due`; with `charges_enabled` false, charges stop until
    /// then. Sends `account.updated`.
    pub async fn require_from_account(
        &self,
        account: &str,
        due: &[&str],
        charges_enabled: bool,
    ) -> Result<Delivered, DoubleError> {
        self.update_account(account, charges_enabled, due).await
    }

    async fn update_account(
        &self,
        account: &str,
        enabled: bool,
        due: &[&str],
    ) -> Result<Delivered, DoubleError> {
        let event = {
            let mut store = self.lock();
            let mut object = ops::get(&store, "account", account)
                .map_err(driver_error)?
                .clone();
            object["charges_enabled"] = enabled.into();
            object["payouts_enabled"] = enabled.into();
            object["details_submitted"] = true.into();
            object["requirements"] = crate::objects::account_requirements(due, !enabled);
            if let Some(caps) = object["capabilities"].as_object_mut() {
                for v in caps.values_mut() {
                    *v = if enabled { "active" } else { "inactive" }.into();
                }
            }
            store.put(object.clone());
            let mut event = crate::objects::event("account.updated", object, None);
            event["account"] = account.into();
            store.put(event.clone());
            event
        };
        self.send(event).await
    }

    /// POST an arbitrary payload to the webhook URL with the given `Stripe-Signature` header
    /// (or none), for forged, stale and tampered deliveries. Returns the app's status.
    pub async fn post_raw(
        &self,
        payload: &str,
        signature_header: Option<&str>,
    ) -> Result<u16, DoubleError> {
        let url = self
            .lock()
            .webhook_url
            .clone()
            .ok_or_else(|| DoubleError::Delivery("no webhook URL set".into()))?;
        let mut req = self
            .inner
            .http
            .post(&url)
            .header("content-type", "application/json; charset=utf-8")
            .header(
                "user-agent",
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .body(payload.to_string());
        if let Some(sig) = signature_header {
            req = req.header("stripe-signature", sig);
        }
        let res = req
            .send()
            .await
            .map_err(|e| DoubleError::Delivery(e.to_string()))?;
        Ok(res.status().as_u16())
    }

    async fn send(&self, event: Value) -> Result<Delivered, DoubleError> {
        let status = self.deliver(&event).await?;
        Ok(Delivered { event, status })
    }

    /// POST an event, signed now, to the webhook URL (status 0 when none is set).
    pub(crate) async fn deliver(&self, event: &Value) -> Result<u16, DoubleError> {
        let (url, secret) = {
            let store = self.lock();
            match store.account_of(&event["data"]["object"]) {
                Some(account) => (account.webhook_url.clone(), account.webhook_secret.clone()),
                None => (
                    store.webhook_url.clone(),
                    self.inner.cfg.webhook_secret.clone(),
                ),
            }
        };
        let Some(url) = url else {
            return Ok(0);
        };
        // Stripe sends pretty-printed JSON; verification must use the raw bytes.
        let payload = serde_json::to_string_pretty(event)
            .map_err(|e| DoubleError::Delivery(e.to_string()))?;
        let signature = crate::signing::signature_header(&secret, &payload, now());
        let result = self
            .inner
            .http
            .post(&url)
            .header("content-type", "application/json; charset=utf-8")
            .header(
                "user-agent",
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .header("stripe-signature", signature)
            .body(payload)
            .send()
            .await;
        let mut record = DeliveryRecord {
            event_id: event["id"].as_str().unwrap_or_default().to_string(),
            event_type: event["type"].as_str().unwrap_or_default().to_string(),
            url,
            status: None,
            error: None,
        };
        let outcome = match result {
            Ok(res) => {
                let status = res.status().as_u16();
                record.status = Some(status);
                Ok(status)
            }
            Err(e) => {
                record.error = Some(e.to_string());
                Err(DoubleError::Delivery(e.to_string()))
            }
        };
        self.lock().deliveries.push(record);
        outcome
    }
}
