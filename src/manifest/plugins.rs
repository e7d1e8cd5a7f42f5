//! Plugin names: short names and the original Java class names accepted as aliases.

use crate::session_core::SessionKind;

pub fn session(name: &str) -> Option<SessionKind> {
    match name {
        "sequential"
        | "gov.noaa.messageapi.sessions.SequentialSession"
        | "gov.noaa.messageapi.sessions.SimpleSequentialSession"
        | "gov.noaa.messageapi.sessions.DefaultSession" => Some(SessionKind::Sequential),
        "parallel"
        | "gov.noaa.messageapi.sessions.ParallelSession"
        | "gov.noaa.messageapi.sessions.SimpleParallelSession" => Some(SessionKind::Parallel),
        _ => None,
    }
}

/// Whether `name` names the default schema, container or protocol (`role` is one of those words).
pub fn is_default_component(role: &str, name: &str) -> bool {
    name == "default"
        || match role {
            "schema" => name == "gov.noaa.messageapi.schemas.DefaultSchema",
            "container" => name == "gov.noaa.messageapi.containers.DefaultContainer",
            "protocol" => name == "gov.noaa.messageapi.protocols.DefaultProtocol",
            _ => false,
        }
}

/// The registry name of an endpoint plugin.
pub fn endpoint(name: &str) -> &str {
    match name {
        "gov.noaa.messageapi.endpoints.EvaluationEndpoint" => "evaluation",
        "gov.noaa.messageapi.test.endpoints.InMemoryFileReader" => "file-reader",
        "gov.noaa.messageapi.endpoints.NativeEndpoint" => "native",
        other => other,
    }
}

/// The registry name of a transformation operator.
pub fn transformation(name: &str) -> &str {
    match name {
        "gov.noaa.messageapi.transformations.joins.StringFieldJoin" => "join",
        "gov.noaa.messageapi.transformations.reductions.ReduceTransformation" => "reduce",
        "gov.noaa.messageapi.transformations.NativeTransformation" => "native",
        other => other,
    }
}

/// The registry name of a condition operator plugin.
pub fn condition(name: &str) -> &str {
    match name {
        "gov.noaa.messageapi.conditions.NativeCondition" => "native",
        other => other,
    }
}

/// The original's condition-operator classes that take `{"comparison": op}`.
pub fn is_comparison_operator_class(name: &str) -> bool {
    matches!(
        name,
        "gov.noaa.messageapi.operators.StringConditionOperator"
            | "gov.noaa.messageapi.operators.IntegerConditionOperator"
            | "gov.noaa.messageapi.operators.FloatConditionOperator"
            | "gov.noaa.messageapi.operators.DoubleConditionOperator"
            | "gov.noaa.messageapi.operators.BooleanConditionOperator"
            | "gov.noaa.messageapi.operators.DateTimeConditionOperator"
    )
}
