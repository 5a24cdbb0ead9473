//! Refunds an admin asks for. Stars: `refundStarPayment`, then the credits come back at once.
//! Card: a Stripe refund; the `charge.refunded` webhook takes the credits back, exactly as for
//! refunds made in Stripe's dashboard.
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::refund::CreateRefund;
use teloxide::{prelude::*, types::TelegramTransactionId};

use crate::billing::checkout::PaymentError;
use crate::{
    billing::orders::{self, Order},
    context::AppCtx,
    delivery::notify,
    telegram::TgError,
};

pub async fn refund(ctx: &AppCtx, order: &Order) -> Result<(), PaymentError> {
    match order.method.as_str() {
        "stars" => {
            let charge = order
                .telegram_charge_id
                .clone()
                .ok_or_else(|| PaymentError::Stripe("the order has no Telegram charge".into()))?;
            let req = ctx
                .tg
                .bot()
                .refund_star_payment(UserId(order.user_id as u64), TelegramTransactionId(charge));
            match ctx.tg.call(req).await {
                Ok(_) => {}
                // Refunded before (a retried command): apply our side all the same.
                Err(TgError::Rejected(e)) if e.to_string().contains("CHARGE_ALREADY_REFUNDED") => {}
                Err(e) => return Err(PaymentError::Stripe(format!("Telegram: {e}"))),
            }
            let refunded = orders::refund(&ctx.db, ctx.now(), order, order.amount_minor).await?;
            notify::refunded(ctx, order.user_id, order.id, &refunded)
                .await
                .map_err(|e| PaymentError::Stripe(e.to_string()))?;
            Ok(())
        }
        "stripe" => {
            let client = ctx.stripe.as_ref().ok_or(PaymentError::NotConfigured)?;
            let pi = order
                .stripe_payment_intent
                .clone()
                .ok_or_else(|| PaymentError::Stripe("the order has no payment intent".into()))?;
            let key = IdempotencyKey::new(format!("refund-order-{}", order.id))
                .map_err(|e| PaymentError::Stripe(e.to_string()))?;
            CreateRefund::new()
                .payment_intent(pi.as_str())
                .customize()
                .request_strategy(RequestStrategy::Idempotent(key))
                .send(client)
                .await
                .map_err(|e| PaymentError::Stripe(e.to_string()))?;
            Ok(())
        }
        other => Err(PaymentError::Stripe(format!(
            "cannot refund {other} payments from here"
        ))),
    }
}
