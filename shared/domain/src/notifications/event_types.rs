//! The events a tenant can be told of (docs/api.md §9), and an endpoint's choice of them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "instruction.completed")]
    InstructionCompleted,
    #[serde(rename = "instruction.failed")]
    InstructionFailed,
    #[serde(rename = "instruction.cancelled")]
    InstructionCancelled,
    #[serde(rename = "refund.completed")]
    RefundCompleted,
    #[serde(rename = "refund.failed")]
    RefundFailed,
    #[serde(rename = "chargeback.opened")]
    ChargebackOpened,
    #[serde(rename = "chargeback.succeeded")]
    ChargebackSucceeded,
    #[serde(rename = "chargeback.failed")]
    ChargebackFailed,
    #[serde(rename = "mandate.active")]
    MandateActive,
    #[serde(rename = "mandate.failed")]
    MandateFailed,
    #[serde(rename = "reward.settled")]
    RewardSettled,
    #[serde(rename = "reward.failed")]
    RewardFailed,
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 13] = [
        EventType::InstructionCompleted,
        EventType::InstructionFailed,
        EventType::InstructionCancelled,
        EventType::RefundCompleted,
        EventType::RefundFailed,
        EventType::ChargebackOpened,
        EventType::ChargebackSucceeded,
        EventType::ChargebackFailed,
        EventType::MandateActive,
        EventType::MandateFailed,
        EventType::RewardSettled,
        EventType::RewardFailed,
        EventType::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::InstructionCompleted => "instruction.completed",
            EventType::InstructionFailed => "instruction.failed",
            EventType::InstructionCancelled => "instruction.cancelled",
            EventType::RefundCompleted => "refund.completed",
            EventType::RefundFailed => "refund.failed",
            EventType::ChargebackOpened => "chargeback.opened",
            EventType::ChargebackSucceeded => "chargeback.succeeded",
            EventType::ChargebackFailed => "chargeback.failed",
            EventType::MandateActive => "mandate.active",
            EventType::MandateFailed => "mandate.failed",
            EventType::RewardSettled => "reward.settled",
            EventType::RewardFailed => "reward.failed",
            EventType::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// What an endpoint subscribes to: every event (`["*"]`), or the types listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventFilter {
    All,
    Only(Vec<EventType>),
}

impl EventFilter {
    /// The filter `["*"]` or a list of types stands for; `Err` names the first unknown type.
    /// A list holding `*` is every event.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<EventFilter, String> {
        let mut types = Vec::new();
        for name in names {
            if name == "*" {
                return Ok(EventFilter::All);
            }
            let event_type = EventType::parse(name).ok_or_else(|| name.to_owned())?;
            if !types.contains(&event_type) {
                types.push(event_type);
            }
        }
        Ok(EventFilter::Only(types))
    }

    pub fn wants(&self, event_type: EventType) -> bool {
        match self {
            EventFilter::All => true,
            EventFilter::Only(types) => types.contains(&event_type),
        }
    }

    /// The filter as the API shows it.
    pub fn names(&self) -> Vec<&'static str> {
        match self {
            EventFilter::All => vec!["*"],
            EventFilter::Only(types) => types.iter().map(|t| t.as_str()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for event_type in EventType::ALL {
            assert_eq!(EventType::parse(event_type.as_str()), Some(event_type));
            let json = serde_json::to_value(event_type).unwrap();
            assert_eq!(json, event_type.as_str());
        }
        assert_eq!(EventType::parse("instruction.done"), None);
    }

    #[test]
    fn a_filter_is_every_event_or_the_types_listed_once() {
        assert_eq!(EventFilter::parse(["*"]), Ok(EventFilter::All));
        assert_eq!(
            EventFilter::parse(["refund.completed", "*"]),
            Ok(EventFilter::All)
        );
        let only = EventFilter::parse(["refund.failed", "refund.failed", "mandate.active"]);
        assert_eq!(
            only,
            Ok(EventFilter::Only(vec![
                EventType::RefundFailed,
                EventType::MandateActive
            ]))
        );
        assert_eq!(only.unwrap().names(), ["refund.failed", "mandate.active"]);
        assert_eq!(
            EventFilter::parse(["refund.completed", "refund.done"]),
            Err("refund.done".to_owned())
        );
    }
}
