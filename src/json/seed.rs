//! Reading JSON straight into a record's slots (bulk input): no intermediate JSON tree.
//! Errors are core errors with the same messages as `FieldType::from_json`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::error::Error;
use crate::record::Record;
use crate::value::{parse_datetime, FieldType, Value};

/// Deserializes one JSON object into `record` (fields set by id). The first core error is kept
/// in `error` (serde's own error then only stops the parse).
pub(crate) struct RecordSeed<'a> {
    pub record: &'a mut Record,
    pub error: &'a RefCell<Option<Error>>,
}

fn fail<E: de::Error>(slot: &RefCell<Option<Error>>, err: Error) -> E {
    let msg = err.message().to_string();
    slot.borrow_mut().get_or_insert(err);
    E::custom(msg)
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.record.layout().position(&key) {
                Some(slot) => {
                    let ty = self.record.layout().fields()[slot].ty;
                    let value = map.next_value_seed(FieldSeed {
                        ty,
                        field: &key,
                        error: self.error,
                        list: None,
                    })?;
                    self.record.set_at_unchecked(slot, value);
                }
                None if self.record.layout().is_open() => {
                    let json: serde_json::Value = map.next_value()?;
                    self.record
                        .set(&key, Value::from_json_untyped(&json))
                        .map_err(|e| fail(self.error, e))?;
                }
                None => {
                    return Err(fail(
                        self.error,
                        Error::UnknownField(format!("unknown field \"{key}\"")),
                    ))
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(fail(
            self.error,
            Error::Json("expected a JSON object, found a list".into()),
        ))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(fail(
            self.error,
            Error::Json("expected a JSON object, found a string".into()),
        ))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(fail(
            self.error,
            Error::Json("expected a JSON object, found a number".into()),
        ))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(fail(
            self.error,
            Error::Json("expected a JSON object, found a number".into()),
        ))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(fail(
            self.error,
            Error::Json("expected a JSON object, found a number".into()),
        ))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(fail(
            self.error,
            Error::Json("expected a JSON object, found a boolean".into()),
        ))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(fail(
            self.error,
            Error::Json("expected a JSON object, found null".into()),
        ))
    }
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field id")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Deserializes one value as field type `ty`.
struct FieldSeed<'a> {
    ty: FieldType,
    field: &'a str,
    error: &'a RefCell<Option<Error>>,
    /// For list elements: the list's type (a mismatch names the list).
    list: Option<FieldType>,
}

impl FieldSeed<'_> {
    fn mismatch<E: de::Error>(&self, found: &str) -> E {
        let (ty, found) = match self.list {
            Some(list) => (list, "array"),
            None => (self.ty, found),
        };
        fail(
            self.error,
            Error::TypeMismatch(format!(
                "field \"{}\" is {}, cannot take JSON {found}",
                self.field,
                ty.name()
            )),
        )
    }
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.ty == FieldType::Json {
            let json: serde_json::Value = de::Deserialize::deserialize(d)?;
            return Ok(if json.is_null() {
                Value::Null
            } else {
                Value::Json(Arc::new(json))
            });
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} value", self.ty.name())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.ty {
            FieldType::Boolean => Ok(Value::Boolean(b)),
            _ => Err(self.mismatch("boolean")),
        }
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        match self.ty {
            FieldType::Integer => Ok(Value::Integer(i)),
            FieldType::Float => Ok(Value::Double(i as f32 as f64)),
            FieldType::Double => Ok(Value::Double(i as f64)),
            _ => Err(self.mismatch("number")),
        }
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        match (self.ty, i64::try_from(u)) {
            (_, Ok(i)) => self.visit_i64(i),
            (FieldType::Integer, Err(_)) => Err(fail(
                self.error,
                Error::OutOfRange(format!(
                    "field \"{}\": {u} does not fit a 64-bit integer",
                    self.field
                )),
            )),
            (FieldType::Float, Err(_)) => Ok(Value::Double(u as f32 as f64)),
            (FieldType::Double, Err(_)) => Ok(Value::Double(u as f64)),
            _ => Err(self.mismatch("number")),
        }
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Value, E> {
        match self.ty {
            FieldType::Float => Ok(Value::Double(x as f32 as f64)),
            FieldType::Double => Ok(Value::Double(x)),
            FieldType::Integer => Err(self.mismatch("number (not an integer)")),
            _ => Err(self.mismatch("number")),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        match self.ty {
            FieldType::String => Value::try_string(s).map_err(|e| fail(self.error, e)),
            FieldType::DateTime => parse_datetime(s).map(Value::datetime).map_err(|e| {
                fail(
                    self.error,
                    Error::TypeMismatch(format!("field \"{}\": {}", self.field, e.message())),
                )
            }),
            _ => Err(self.mismatch("string")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        match self.ty {
            FieldType::ListInt => {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(x) = seq.next_element_seed(FieldSeed {
                    ty: FieldType::Integer,
                    ..self.element()
                })? {
                    match x {
                        Value::Integer(i) => out.push(i),
                        _ => return Err(self.mismatch("array")),
                    }
                }
                Ok(Value::IntList(out.into()))
            }
            FieldType::ListDouble => {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(x) = seq.next_element_seed(FieldSeed {
                    ty: FieldType::Double,
                    ..self.element()
                })? {
                    match x {
                        Value::Double(d) => out.push(d),
                        _ => return Err(self.mismatch("array")),
                    }
                }
                Ok(Value::DoubleList(out.into()))
            }
            FieldType::ListString => {
                let mut out: Vec<Arc<str>> = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(x) = seq.next_element_seed(FieldSeed {
                    ty: FieldType::String,
                    ..self.element()
                })? {
                    match x {
                        Value::String(s) => out.push(Arc::from(s.as_str())),
                        _ => return Err(self.mismatch("array")),
                    }
                }
                Ok(Value::StringList(out.into()))
            }
            _ => Err(self.mismatch("array")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(self.mismatch("object"))
    }
}

impl<'a> FieldSeed<'a> {
    /// The seed for list elements: a mismatch inside reports the list field as a whole.
    fn element(&self) -> FieldSeed<'a> {
        FieldSeed {
            ty: self.ty,
            field: self.field,
            error: self.error,
            list: Some(self.ty),
        }
    }
}
