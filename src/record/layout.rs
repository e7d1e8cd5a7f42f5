//! Field layouts: the ordered, typed fields records share, and layouts derived from others.

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::{FieldType, Text, Value};

/// One field of a layout: id, type, whether it is required, and the value new records start with.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// NUL-terminated in memory (see [`Text`]): C callers borrow it.
    pub id: Text,
    /// The field's type.
    pub ty: FieldType,
    /// Whether a record must have a value for it (else it is rejected at submit).
    pub required: bool,
    /// The value every new record starts with (null for none).
    pub default: Value,
}

impl FieldDef {
    /// An optional field without a default.
    pub fn new(id: &str, ty: FieldType) -> FieldDef {
        FieldDef {
            id: id.into(),
            ty,
            required: false,
            default: Value::Null,
        }
    }
}

/// The ordered fields a record has. Shared by every record of a schema, collection or endpoint.
/// An *open* layout takes new fields when they are first set (plugin output records).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub(super) fields: Vec<FieldDef>,
    index: HashMap<Text, usize>,
    pub(super) open: bool,
}

const LINEAR_LOOKUP: usize = 8;

impl Layout {
    /// A closed layout with these fields, in this order.
    pub fn new(fields: Vec<FieldDef>) -> Arc<Layout> {
        Arc::new(Layout::build(fields, false))
    }

    /// An open layout starting with these fields.
    pub fn open(fields: Vec<FieldDef>) -> Arc<Layout> {
        Arc::new(Layout::build(fields, true))
    }

    fn build(fields: Vec<FieldDef>, open: bool) -> Layout {
        let index = if fields.len() > LINEAR_LOOKUP {
            fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id.clone(), i))
                .collect()
        } else {
            HashMap::new()
        };
        Layout {
            fields,
            index,
            open,
        }
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether records of this layout take fields by name as they come (a rejection's record, a plug-in's free-form output).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Whether both layouts have the same fields (ids, types, required, defaults) and openness:
    /// copies of one layout are interchangeable.
    pub fn same_as(&self, other: &Layout) -> bool {
        std::ptr::eq(self, other) || (self.open == other.open && self.fields == other.fields)
    }

    /// The slot of field `name`.
    #[inline]
    pub fn position(&self, name: &str) -> Option<usize> {
        if self.fields.len() > LINEAR_LOOKUP {
            self.index.get(name).copied()
        } else {
            self.fields.iter().position(|f| &*f.id == name)
        }
    }

    pub(super) fn push(&mut self, def: FieldDef) -> usize {
        let i = self.fields.len();
        self.fields.push(def);
        if self.fields.len() > LINEAR_LOOKUP {
            if self.index.is_empty() {
                self.index = self
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.id.clone(), i))
                    .collect();
            } else {
                self.index.insert(self.fields[i].id.clone(), i);
            }
        }
        i
    }

    /// This layout followed by the `extra` fields (open if this one is).
    pub fn extended(&self, extra: &[FieldDef]) -> Layout {
        let mut fields = self.fields.clone();
        fields.extend(extra.iter().cloned());
        Layout::build(fields, self.open)
    }

    /// The layout keeping only the fields named in `keep` (this layout's order kept, unknown
    /// names ignored).
    pub fn narrowed(&self, keep: &[String]) -> Layout {
        let fields = self
            .fields
            .iter()
            .filter(|f| keep.iter().any(|k| **k == *f.id))
            .cloned()
            .collect();
        Layout::build(fields, self.open)
    }
}

/// Layouts derived from others (narrowed, extended), made once per source layout. The sources
/// are kept, so a layout freed meanwhile cannot be taken for another at the same address.
#[derive(Default)]
pub(crate) struct DerivedLayouts {
    made: HashMap<*const Layout, (Arc<Layout>, Arc<Layout>)>,
    /// The source and result used last (records of a batch mostly share a layout).
    last: Option<(Arc<Layout>, Arc<Layout>)>,
}

impl DerivedLayouts {
    /// The layout derived from `from` (by `derive` the first time).
    pub(crate) fn of(
        &mut self,
        from: &Arc<Layout>,
        derive: impl FnOnce(&Layout) -> Layout,
    ) -> Arc<Layout> {
        if let Some((f, to)) = &self.last {
            if Arc::ptr_eq(f, from) {
                return to.clone();
            }
        }
        let (f, to) = self
            .made
            .entry(Arc::as_ptr(from))
            .or_insert_with(|| (from.clone(), Arc::new(derive(from))));
        self.last = Some((f.clone(), to.clone()));
        to.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_layouts_are_made_once_per_source_and_keep_openness() {
        let closed = Layout::new(vec![FieldDef::new("a", FieldType::Integer)]);
        let open = Layout::open(vec![FieldDef::new("b", FieldType::String)]);
        let extra = [FieldDef::new("x", FieldType::Json)];
        let mut derived = DerivedLayouts::default();
        let mut made = 0;
        let mut of = |from: &Arc<Layout>, made: &mut usize| {
            derived.of(from, |l| {
                *made += 1;
                l.extended(&extra)
            })
        };
        let c1 = of(&closed, &mut made);
        let o1 = of(&open, &mut made);
        let c2 = of(&closed, &mut made);
        let o2 = of(&open, &mut made);
        assert_eq!(made, 2);
        assert!(Arc::ptr_eq(&c1, &c2) && Arc::ptr_eq(&o1, &o2));
        let ids = |l: &Layout| {
            l.fields()
                .iter()
                .map(|f| f.id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&c1), ["a", "x"]);
        assert_eq!(ids(&o1), ["b", "x"]);
        assert!(!c1.is_open() && o1.is_open());
    }
}
