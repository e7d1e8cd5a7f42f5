//! A JSON value together with where it came from (file and JSON location), so that every
//! manifest error can say `file: collections[1].fields[2]: unknown field "foo"`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::Error;

/// A located JSON value.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Json,
    pub file: Arc<PathBuf>,
    pub path: String,
}

impl Node {
    pub fn new(value: Json, file: Arc<PathBuf>, path: String) -> Node {
        Node { value, file, path }
    }

    /// The directory of the file this node is in (relative paths resolve against it).
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }

    /// `file: location` for messages.
    pub fn location(&self) -> String {
        if self.file.as_os_str().is_empty() {
            self.path.clone()
        } else if self.path.is_empty() {
            format!("{}", self.file.display())
        } else {
            format!("{}: {}", self.file.display(), self.path)
        }
    }

    /// A manifest error at this node.
    pub fn error(&self, msg: impl std::fmt::Display) -> Error {
        Error::Manifest(format!("{}: {msg}", self.location()))
    }

    /// Any error re-located at this node (keeps its kind).
    pub fn locate(&self, err: Error) -> Error {
        err.context(self.location())
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn index_path(&self, i: usize) -> String {
        format!("{}[{i}]", self.path)
    }

    /// A node for JSON that came from no file (plugin constructors); locations are paths only.
    pub fn detached(value: Json, path: &str) -> Node {
        Node::new(value, Arc::new(PathBuf::new()), path.to_string())
    }

    /// The member `key` of an object node.
    pub fn get(&self, key: &str) -> Option<Node> {
        self.value
            .get(key)
            .map(|v| Node::new(v.clone(), self.file.clone(), self.key_path(key)))
    }

    /// The member `key`, or an error naming it.
    pub fn require(&self, key: &str) -> Result<Node, Error> {
        self.get(key)
            .ok_or_else(|| self.error(format!("missing required key \"{key}\"")))
    }

    /// The elements of an array node.
    pub fn elements(&self) -> Result<Vec<Node>, Error> {
        match &self.value {
            Json::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| Node::new(v.clone(), self.file.clone(), self.index_path(i)))
                .collect()),
            other => Err(self.error(format!("expected a list, found {}", kind(other)))),
        }
    }

    /// The members of an object node, in file order.
    pub fn members(&self) -> Result<Vec<(String, Node)>, Error> {
        match &self.value {
            Json::Object(map) => Ok(map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Node::new(v.clone(), self.file.clone(), self.key_path(k)),
                    )
                })
                .collect()),
            other => Err(self.error(format!("expected an object, found {}", kind(other)))),
        }
    }

    pub fn as_str(&self) -> Result<&str, Error> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("expected a string, found {}", kind(&self.value))))
    }

    /// A string, or a list of strings, as a list.
    pub fn string_list(&self) -> Result<Vec<String>, Error> {
        match &self.value {
            Json::String(s) => Ok(vec![s.clone()]),
            Json::Array(_) => self
                .elements()?
                .iter()
                .map(|n| n.as_str().map(str::to_string))
                .collect(),
            Json::Null => Ok(Vec::new()),
            other => Err(self.error(format!(
                "expected a string or a list of strings, found {}",
                kind(other)
            ))),
        }
    }

    /// `"id"` (or the accepted alias `"name"`) of an element.
    pub fn id(&self) -> Result<String, Error> {
        match self.get("id").or_else(|| self.get("name")) {
            Some(n) => match &n.value {
                Json::String(s) if !s.is_empty() => Ok(s.clone()),
                Json::Number(x) => Ok(x.to_string()),
                _ => Err(n.error("expected a non-empty string id")),
            },
            None => Err(self.error("missing required key \"id\"")),
        }
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.get(key) {
            None => Ok(default),
            Some(n) => match &n.value {
                Json::Bool(b) => Ok(*b),
                Json::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
                Json::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
                Json::Null => Ok(default),
                other => Err(n.error(format!("expected true or false, found {}", kind(other)))),
            },
        }
    }
}

pub fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}
