//! A resource's identity within a stack: its kind and a name unique within that kind.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Role,
    LogGroup,
    Function,
    RestApi,
    ApiResource,
    Method,
    GatewayResponse,
    Permission,
    AccountRole,
    AccountSettings,
    Stage,
    EventSourceMapping,
    ScheduleRule,
    SnsSubscription,
    S3Notification,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::LogGroup => "log_group",
            Kind::Function => "function",
            Kind::RestApi => "rest_api",
            Kind::ApiResource => "api_resource",
            Kind::Method => "method",
            Kind::GatewayResponse => "gateway_response",
            Kind::Permission => "permission",
            Kind::AccountRole => "account_role",
            Kind::AccountSettings => "account_settings",
            Kind::Stage => "stage",
            Kind::EventSourceMapping => "event_source_mapping",
            Kind::ScheduleRule => "schedule_rule",
            Kind::SnsSubscription => "sns_subscription",
            Kind::S3Notification => "s3_notification",
        }
    }
}

/// Identity of a resource within a stack: its kind and a name unique within that kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Address {
    pub kind: Kind,
    pub name: String,
}

impl Address {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Address {
            kind,
            name: name.into(),
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.name)
    }
}
