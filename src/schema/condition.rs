//! Conditions: comparisons and composites, their per-record values, and evaluation.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use super::plugin::ConditionPlugin;
use crate::error::{Error, Result};
use crate::record::{ConditionSlots, Record};
use crate::value::{parse_datetime, FieldType, Value};

/// A comparison operator.
#[derive(Clone)]
pub enum Operator {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
    In,
    /// A registered (or native) condition plugin.
    Plugin(String, Arc<dyn ConditionPlugin>),
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Operator {
    /// Parses a built-in operator symbol.
    pub fn parse(symbol: &str) -> Option<Operator> {
        Some(match symbol.trim() {
            "=" | "==" => Operator::Eq,
            "/=" | "!=" => Operator::Ne,
            "<" => Operator::Lt,
            ">" => Operator::Gt,
            "<=" => Operator::Le,
            ">=" => Operator::Ge,
            "contains" => Operator::Contains,
            "in" => Operator::In,
            _ => return None,
        })
    }

    pub fn symbol(&self) -> &str {
        match self {
            Operator::Eq => "=",
            Operator::Ne => "/=",
            Operator::Lt => "<",
            Operator::Gt => ">",
            Operator::Le => "<=",
            Operator::Ge => ">=",
            Operator::Contains => "contains",
            Operator::In => "in",
            Operator::Plugin(name, _) => name,
        }
    }

    fn apply(&self, field_value: &Value, cond: &Value) -> bool {
        let ord = || field_value.compare(cond);
        match self {
            Operator::Eq => ord() == Some(Ordering::Equal),
            Operator::Ne => ord() != Some(Ordering::Equal),
            Operator::Lt => ord() == Some(Ordering::Less),
            Operator::Gt => ord() == Some(Ordering::Greater),
            Operator::Le => matches!(ord(), Some(Ordering::Less | Ordering::Equal)),
            Operator::Ge => matches!(ord(), Some(Ordering::Greater | Ordering::Equal)),
            Operator::Contains => field_value.contains(cond),
            Operator::In => field_value.is_in(cond),
            // Plugins are evaluated with the whole record in `ConditionSet::eval`.
            Operator::Plugin(..) => false,
        }
    }
}

/// What a condition is.
#[derive(Debug, Clone)]
pub enum ConditionKind {
    Comparison {
        field: Arc<str>,
        field_type: FieldType,
        operator: Operator,
    },
    Composite {
        all: bool,
        children: Vec<usize>,
    },
}

/// One schema condition.
#[derive(Debug, Clone)]
pub struct Condition {
    pub id: Arc<str>,
    pub kind: ConditionKind,
    /// The manifest value (kept on the request record, cleared on records).
    pub value: Option<Value>,
}

/// Every condition of a schema, indexed by id.
#[derive(Debug, Default)]
pub struct ConditionSet {
    conditions: Vec<Condition>,
    index: HashMap<Arc<str>, usize>,
    /// For each condition, the composites that list it.
    parents: Vec<Vec<usize>>,
}

impl ConditionSet {
    /// Builds the set; `conditions` must have unique ids, resolved children and no cycles
    /// (the manifest loader checks this and reports locations).
    pub fn new(conditions: Vec<Condition>) -> ConditionSet {
        let index = conditions
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let mut parents = vec![Vec::new(); conditions.len()];
        for (i, c) in conditions.iter().enumerate() {
            if let ConditionKind::Composite { children, .. } = &c.kind {
                for &ch in children {
                    parents[ch].push(i);
                }
            }
        }
        ConditionSet {
            conditions,
            index,
            parents,
        }
    }

    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// Converts a value for condition `i`: to the field's type for comparisons, to an element
    /// for `contains` on lists, to a list for `in`; plugins take any value.
    pub fn coerce(&self, i: usize, value: Value) -> Result<Value> {
        let c = &self.conditions[i];
        let (field_type, operator) = match &c.kind {
            ConditionKind::Comparison {
                field_type,
                operator,
                ..
            } => (*field_type, operator),
            ConditionKind::Composite { .. } => {
                return Err(Error::TypeMismatch(format!(
                    "condition \"{}\" is a composite and takes no value",
                    c.id
                )))
            }
        };
        let what = format!("condition {}", c.id);
        match operator {
            Operator::Plugin(..) => Ok(value),
            Operator::In => match value {
                v @ (Value::IntList(_)
                | Value::DoubleList(_)
                | Value::StringList(_)
                | Value::Null) => Ok(v),
                Value::Json(j) if j.is_array() => Ok(Value::Json(j)),
                other => Err(Error::TypeMismatch(format!(
                    "condition \"{}\" uses \"in\" and needs a list, not a {} value",
                    c.id,
                    other.type_name()
                ))),
            },
            Operator::Contains => match field_type {
                FieldType::ListInt => FieldType::Integer.coerce(&what, value),
                FieldType::ListDouble => FieldType::Double.coerce(&what, value),
                FieldType::ListString | FieldType::String => FieldType::String.coerce(&what, value),
                _ => Ok(value),
            },
            _ => match (field_type, value) {
                (FieldType::DateTime, Value::String(s)) => Ok(Value::datetime(parse_datetime(&s)?)),
                (FieldType::Json, v) => Ok(v),
                (ty, v) => {
                    let vt = v.described();
                    ty.coerce(&what, v).map_err(|_| {
                        Error::TypeMismatch(format!(
                            "condition \"{}\" compares {} field \"{}\" and cannot take {vt}",
                            c.id,
                            ty.name(),
                            field_name(c),
                        ))
                    })
                }
            },
        }
    }

    /// Reads a condition value from JSON, as [`ConditionSet::coerce`] would convert it.
    pub fn value_from_json(&self, i: usize, json: &serde_json::Value) -> Result<Value> {
        let c = &self.conditions[i];
        let raw = match &c.kind {
            ConditionKind::Comparison {
                field_type,
                operator,
                ..
            } => match (operator, field_type) {
                (Operator::In, _) | (Operator::Plugin(..), _) => Value::from_json_untyped(json),
                (Operator::Contains, FieldType::ListInt) => {
                    FieldType::Integer.from_json(&c.id, json)?
                }
                (Operator::Contains, FieldType::ListDouble) => {
                    FieldType::Double.from_json(&c.id, json)?
                }
                (Operator::Contains, FieldType::ListString) => {
                    FieldType::String.from_json(&c.id, json)?
                }
                (Operator::Contains, _) => Value::from_json_untyped(json),
                (_, ty) => ty.from_json(&c.id, json)?,
            },
            ConditionKind::Composite { .. } => Value::from_json_untyped(json),
        };
        self.coerce(i, raw)
    }

    /// Record-level validation (steps 3 to 5 of the format's rule): drops unvalued conditions
    /// and those whose field the record lacks, then ANDs the remaining top-level conditions.
    /// Each condition is looked at once per record, and nesting costs no stack: a chain
    /// thousands deep or a DAG of composites costs its size.
    pub fn record_passes(&self, record: &Record, values: &[Option<Value>]) -> bool {
        if values.iter().all(Option::is_none) {
            return true;
        }
        let mut memo = Memo::new(self.conditions.len());
        for i in 0..self.conditions.len() {
            self.alive(i, record, values, &mut memo);
        }
        for i in 0..self.conditions.len() {
            if memo.alive[i] != Alive::Yes {
                continue;
            }
            let top = self.parents[i].iter().all(|&p| memo.alive[p] != Alive::Yes);
            if top && !self.eval(i, record, values, &mut memo) {
                return false;
            }
        }
        true
    }

    /// Collection-level check: every listed condition that remains (valued, field present)
    /// passes, composites with their remaining children.
    pub fn subset_passes(&self, ids: &[usize], record: &Record, values: &[Option<Value>]) -> bool {
        if ids.is_empty() {
            return true;
        }
        let mut memo = Memo::new(self.conditions.len());
        ids.iter().all(|&i| {
            self.alive(i, record, values, &mut memo) != Alive::Yes
                || self.eval(i, record, values, &mut memo)
        })
    }

    /// Whether condition `i` remains for `record`: a comparison that is valued and whose field
    /// the record has, or a composite with a child that remains. Memoized; walks composites
    /// with a stack of its own.
    fn alive(&self, i: usize, record: &Record, values: &[Option<Value>], memo: &mut Memo) -> Alive {
        if memo.alive[i] != Alive::Unknown {
            return memo.alive[i];
        }
        memo.stack.clear();
        memo.stack.push((i, 0));
        while let Some(&(n, next)) = memo.stack.last() {
            if memo.alive[n] != Alive::Unknown {
                memo.stack.pop();
                continue;
            }
            match &self.conditions[n].kind {
                ConditionKind::Comparison { field, .. } => {
                    memo.alive[n] = if values[n].is_some() && record.has_field(field) {
                        Alive::Yes
                    } else {
                        Alive::No
                    };
                    memo.stack.pop();
                }
                ConditionKind::Composite { children, .. } => {
                    match children[next..]
                        .iter()
                        .position(|&c| memo.alive[c] == Alive::Unknown)
                    {
                        Some(k) => {
                            let top = memo.stack.len() - 1;
                            memo.stack[top].1 = next + k;
                            memo.stack.push((children[next + k], 0));
                        }
                        None => {
                            memo.alive[n] = if children.iter().any(|&c| memo.alive[c] == Alive::Yes)
                            {
                                Alive::Yes
                            } else {
                                Alive::No
                            };
                            memo.stack.pop();
                        }
                    }
                }
            }
        }
        memo.alive[i]
    }

    /// Whether remaining condition `i` passes (composites over their remaining children, left
    /// to right, stopping at the first that decides). Memoized; walks composites with a stack
    /// of its own.
    fn eval(&self, i: usize, record: &Record, values: &[Option<Value>], memo: &mut Memo) -> bool {
        if let Some(v) = memo.value[i] {
            return v;
        }
        memo.stack.clear();
        memo.stack.push((i, 0));
        while let Some(&(n, next)) = memo.stack.last() {
            if memo.value[n].is_some() {
                memo.stack.pop();
                continue;
            }
            match &self.conditions[n].kind {
                ConditionKind::Comparison {
                    field, operator, ..
                } => {
                    memo.value[n] = Some(self.compare(n, field, operator, record, values));
                    memo.stack.pop();
                }
                ConditionKind::Composite { all, children } => {
                    let mut k = next;
                    let mut decided = None;
                    let mut descend = None;
                    while k < children.len() {
                        let c = children[k];
                        if memo.alive[c] != Alive::Yes {
                            k += 1;
                            continue;
                        }
                        match memo.value[c] {
                            // `and` fails at the first failing child, `or` passes at the
                            // first passing one.
                            Some(v) if v != *all => {
                                decided = Some(v);
                                break;
                            }
                            Some(_) => k += 1,
                            None => {
                                descend = Some(c);
                                break;
                            }
                        }
                    }
                    if let Some(c) = descend {
                        let top = memo.stack.len() - 1;
                        memo.stack[top].1 = k;
                        memo.stack.push((c, 0));
                    } else {
                        memo.value[n] = Some(decided.unwrap_or(*all));
                        memo.stack.pop();
                    }
                }
            }
        }
        memo.value[i].unwrap_or(true)
    }

    /// A comparison condition against the record's value (plugins see the whole record).
    fn compare(
        &self,
        i: usize,
        field: &str,
        operator: &Operator,
        record: &Record,
        values: &[Option<Value>],
    ) -> bool {
        let (Some(cond), Ok(fv)) = (&values[i], record.get(field)) else {
            return true;
        };
        match operator {
            Operator::Plugin(name, plugin) => match plugin.check(record, field, cond) {
                Ok(pass) => pass,
                Err(e) => {
                    crate::log::warn(&format!(
                        "condition {} ({name}) failed: {e}",
                        self.conditions[i].id
                    ));
                    false
                }
            },
            op => op.apply(fv, cond),
        }
    }
}

/// What one record's check knows so far about each condition, and the walk's stack.
struct Memo {
    alive: Vec<Alive>,
    value: Vec<Option<bool>>,
    /// (condition, next child to look at)
    stack: Vec<(usize, usize)>,
}

impl Memo {
    fn new(n: usize) -> Memo {
        Memo {
            alive: vec![Alive::Unknown; n],
            value: vec![None; n],
            stack: Vec::new(),
        }
    }
}

fn field_name(c: &Condition) -> &str {
    match &c.kind {
        ConditionKind::Comparison { field, .. } => field,
        ConditionKind::Composite { .. } => "",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alive {
    Unknown,
    Yes,
    No,
}

impl ConditionSlots for ConditionSet {
    fn len(&self) -> usize {
        self.conditions.len()
    }
    fn position(&self, id: &str) -> Option<usize> {
        ConditionSet::position(self, id)
    }
    fn coerce(&self, i: usize, value: Value) -> Result<Value> {
        ConditionSet::coerce(self, i, value)
    }
    fn value_from_json(&self, i: usize, json: &serde_json::Value) -> Result<Value> {
        ConditionSet::value_from_json(self, i, json)
    }
    fn manifest_value(&self, i: usize) -> Option<Value> {
        self.conditions[i].value.clone()
    }
}
