//! Records: a slot vector of values indexed by a shared, immutable field layout, with the
//! condition values a request record carries, and rejections (a record with its reasons).

mod conditions;
mod layout;
mod rejection;

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use crate::value::{FieldType, Text, Value};
pub use conditions::{ConditionSlots, ConditionValues};
pub(crate) use layout::DerivedLayouts;
pub use layout::{FieldDef, Layout};
pub use rejection::{Rejection, Stage};

pub(crate) type Values = smallvec::SmallVec<[Value; 3]>;

/// A record: values in layout order, plus condition values on records that carry them
/// (request records and the request record). Setting a value checks its type (an integer
/// widens into a float or double field); typed getters name the field when it is null or of
/// another type.
///
/// ```
/// let session = messageapi::Session::from_json(
///     r#"{"fields": [{"id": "n", "type": "integer", "required": true}],
///         "collections": [{"id": "c", "fields": ["n"]}],
///         "endpoints": [{"plugin": "evaluation", "connections": [{"id": "all", "collections": ["c"]}]}]}"#,
///     None,
/// )?;
/// use messageapi::Value;
/// let mut record = session.new_record();
/// record.set("n", Value::Integer(5))?;
/// assert_eq!(record.get_int("n")?, 5);
/// assert!(record.set("n", Value::string("five")).is_err());
/// assert!(record.set("m", Value::Integer(1)).is_err()); // no such field
/// # Ok::<(), messageapi::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Record {
    layout: Arc<Layout>,
    values: Values,
    conditions: Option<Box<ConditionValues>>,
}

impl Record {
    /// A record of `layout` holding each field's default value.
    pub fn new(layout: Arc<Layout>) -> Record {
        Record::with_room(layout, 0)
    }

    /// A record of `layout` holding each field's default value, with storage for `room` more
    /// fields (see [`Record::clone_with_room`]).
    pub(crate) fn with_room(layout: Arc<Layout>, room: usize) -> Record {
        let mut values = Values::with_capacity(layout.len() + room);
        values.extend(layout.fields.iter().map(|f| f.default.clone()));
        Record {
            layout,
            values,
            conditions: None,
        }
    }

    /// A record of `layout` with these values (one per field, already of the right types).
    pub(crate) fn from_parts(layout: Arc<Layout>, values: Values) -> Record {
        debug_assert_eq!(layout.len(), values.len());
        Record {
            layout,
            values,
            conditions: None,
        }
    }

    /// A record with no fields (a placeholder left where a record was moved out).
    #[doc(hidden)]
    pub fn empty() -> Record {
        Record {
            layout: empty_layout().clone(),
            values: Values::new(),
            conditions: None,
        }
    }

    /// Whether this is a [`Record::empty`] placeholder (left where a record was moved out).
    pub fn is_placeholder(&self) -> bool {
        Arc::ptr_eq(&self.layout, empty_layout())
    }

    /// An empty open record: any field may be set; its type is taken from the first value.
    pub fn open() -> Record {
        Record::new(Layout::open(Vec::new()))
    }

    /// The record's fields (shared by the records of one schema or endpoint).
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// The values, in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// How many fields the record has.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The values, giving up the record.
    pub fn into_values(self) -> Vec<Value> {
        self.values.into_vec()
    }

    pub(crate) fn into_slots(self) -> Values {
        self.values
    }

    /// Whether the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The id of field `index` (0-based).
    pub fn field_name(&self, index: usize) -> Option<&str> {
        self.layout.fields.get(index).map(|f| &*f.id)
    }

    /// The type of field `name`, if the record has it.
    pub fn field_type(&self, name: &str) -> Option<FieldType> {
        self.layout.position(name).map(|i| self.layout.fields[i].ty)
    }

    /// Whether the record has field `name`.
    pub fn has_field(&self, name: &str) -> bool {
        self.layout.position(name).is_some()
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Result<&Value> {
        match self.layout.position(name) {
            Some(i) => Ok(&self.values[i]),
            None => Err(unknown_field(name)),
        }
    }

    /// The value of field `name`; [`Error::NullValue`] when it is null.
    pub fn get_non_null(&self, name: &str) -> Result<&Value> {
        match self.get(name)? {
            Value::Null => Err(Error::NullValue(format!("field \"{name}\" is null"))),
            v => Ok(v),
        }
    }

    /// An integer field. Errors: unknown field, [`Error::NullValue`], [`Error::TypeMismatch`].
    pub fn get_int(&self, name: &str) -> Result<i64> {
        match self.get_non_null(name)? {
            Value::Integer(i) => Ok(*i),
            v => Err(holds_not(name, "an integer", v)),
        }
    }

    /// A float or double field; an integer widens. Errors as [`Record::get_int`].
    pub fn get_double(&self, name: &str) -> Result<f64> {
        match self.get_non_null(name)? {
            Value::Double(d) => Ok(*d),
            Value::Integer(i) => Ok(*i as f64),
            v => Err(holds_not(name, "a number", v)),
        }
    }

    /// A boolean field. Errors as [`Record::get_int`].
    pub fn get_bool(&self, name: &str) -> Result<bool> {
        match self.get_non_null(name)? {
            Value::Boolean(b) => Ok(*b),
            v => Err(holds_not(name, "a boolean", v)),
        }
    }

    /// The text of a string field, or of a datetime field (RFC 3339). Errors as [`Record::get_int`].
    pub fn get_text(&self, name: &str) -> Result<&Text> {
        match self.get_non_null(name)? {
            Value::String(t) => Ok(t),
            Value::DateTime(d) => Ok(&d.text),
            v => Err(holds_not(name, "a string", v)),
        }
    }

    /// A list(int) field. Errors as [`Record::get_int`].
    pub fn get_int_list(&self, name: &str) -> Result<&[i64]> {
        match self.get_non_null(name)? {
            Value::IntList(l) => Ok(l),
            v => Err(holds_not(name, "a list(int)", v)),
        }
    }

    /// A list(double) field; a list(int) widens (a copy). Errors as [`Record::get_int`].
    pub fn get_double_list(&self, name: &str) -> Result<std::borrow::Cow<'_, [f64]>> {
        match self.get_non_null(name)? {
            Value::DoubleList(l) => Ok(std::borrow::Cow::Borrowed(l)),
            Value::IntList(l) => Ok(l.iter().map(|&i| i as f64).collect()),
            v => Err(holds_not(name, "a list(double)", v)),
        }
    }

    /// The value at slot `i`.
    #[inline]
    pub fn get_at(&self, i: usize) -> Option<&Value> {
        self.values.get(i)
    }

    /// Sets field `name`, converting to the field's type (integers widen to float/double).
    /// On an open record an unknown field is added, typed by the value.
    pub fn set(&mut self, name: &str, value: Value) -> Result<()> {
        match self.layout.position(name) {
            Some(i) => {
                let ty = self.layout.fields[i].ty;
                self.values[i] = ty.coerce(name, value)?;
                Ok(())
            }
            None if self.layout.open => {
                let ty = FieldType::of(&value);
                let value = ty.coerce(name, value)?;
                Arc::make_mut(&mut self.layout).push(FieldDef::new(name, ty));
                self.values.push(value);
                Ok(())
            }
            None => Err(unknown_field(name)),
        }
    }

    /// Sets slot `i` to a value already known to have the slot's type.
    #[inline]
    pub(crate) fn set_at_unchecked(&mut self, i: usize, value: Value) {
        self.values[i] = value;
    }

    /// Sets field `name` from JSON text interpretation of its type.
    pub fn set_json(&mut self, name: &str, json: &Json) -> Result<()> {
        match self.layout.position(name) {
            Some(i) => {
                let v = self.layout.fields[i].ty.from_json(name, json)?;
                self.values[i] = v;
                Ok(())
            }
            None if self.layout.open => self.set(name, Value::from_json_untyped(json)),
            None => Err(unknown_field(name)),
        }
    }

    /// A copy whose value storage has room for `room` more fields (endpoints that return the
    /// records they were given add a few: the Kafka producer adds three), so adding them later
    /// does not move the values.
    pub(crate) fn clone_with_room(&self, room: usize) -> Record {
        let mut values = Values::with_capacity(self.values.len() + room);
        values.extend(self.values.iter().cloned());
        Record {
            layout: self.layout.clone(),
            values,
            conditions: self.conditions.clone(),
        }
    }

    /// Switches to `layout`, this record's layout followed by fields holding `extra`
    /// ([`Layout::extended`]): joins add their collection field this way, the Kafka producer
    /// its fields.
    pub(crate) fn extend_layout(
        &mut self,
        layout: Arc<Layout>,
        extra: impl IntoIterator<Item = Value>,
    ) {
        self.values.extend(extra);
        debug_assert_eq!(layout.len(), self.values.len());
        self.layout = layout;
    }

    /// This record projected onto `layout` (fields matched by id; missing ones stay default).
    pub fn project(&self, layout: &Arc<Layout>) -> Record {
        let values = layout
            .fields
            .iter()
            .map(|f| match self.layout.position(&f.id) {
                Some(i) => self.values[i].clone(),
                None => f.default.clone(),
            })
            .collect();
        Record {
            layout: layout.clone(),
            values,
            conditions: None,
        }
    }

    pub(crate) fn conditions(&self) -> Option<&ConditionValues> {
        self.conditions.as_deref()
    }

    pub(crate) fn attach_conditions(&mut self, values: ConditionValues) {
        self.conditions = Some(Box::new(values));
    }

    /// Sets the value of condition `id` for this record (converted to the condition field's type).
    pub fn set_condition(&mut self, id: &str, value: Value) -> Result<()> {
        match self.conditions.as_deref_mut() {
            Some(c) => c.set(id, value),
            None => Err(Error::UnknownCondition(format!(
                "unknown condition \"{id}\": this record carries no conditions"
            ))),
        }
    }

    /// Sets the value of condition `id` from JSON (a list for `in`, an element for `contains`
    /// on lists, otherwise a value of the condition field's type).
    pub fn set_condition_json(&mut self, id: &str, json: &Json) -> Result<()> {
        let values = self.conditions.as_deref_mut().ok_or_else(|| {
            Error::UnknownCondition(format!(
                "unknown condition \"{id}\": this record carries no conditions"
            ))
        })?;
        values.set_json(id, json)
    }

    /// The record as a JSON object: field id to value, in layout order.
    pub fn to_json(&self) -> Json {
        let mut map = Map::with_capacity(self.values.len());
        for (f, v) in self.layout.fields.iter().zip(self.values.iter()) {
            map.insert(f.id.to_string(), v.to_json());
        }
        Json::Object(map)
    }

    /// Sets every key of a JSON object as a field. Unknown keys fail on a closed record.
    pub fn set_from_json_object(&mut self, object: &Map<String, Json>) -> Result<()> {
        for (k, v) in object {
            self.set_json(k, v)?;
        }
        Ok(())
    }
}

fn holds_not(field: &str, want: &str, v: &Value) -> Error {
    Error::TypeMismatch(format!(
        "field \"{field}\" holds {}, not {want}",
        v.described()
    ))
}

/// The layout every [`Record::empty`] shares.
fn empty_layout() -> &'static Arc<Layout> {
    static EMPTY: std::sync::OnceLock<Arc<Layout>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Layout::new(Vec::new()))
}

pub(crate) fn unknown_field(name: &str) -> Error {
    Error::UnknownField(format!("unknown field \"{name}\""))
}
