//! The manifest loader: the one place manifest JSON becomes the model. Reads the full form and
//! the parameter map, constructor values inline or as paths, `{}` root expansion,
//! session-template placeholders and plugin names (looked up in the registry), and reports
//! errors with their file and JSON location. Returns the session's core.

pub mod container;
pub mod node;
pub mod plugins;
pub mod protocol;
pub mod schema;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::container::Container;
use crate::error::{Error, Result};
use crate::paths;
use crate::protocol::Protocol;
use crate::record::Layout;
use crate::schema::Schema;
use node::Node;
pub use plugins::SessionKind;
use schema::ConditionEnv;

/// Everything a manifest defines, checked and ready: what a session is made of.
#[derive(Debug)]
pub struct SessionCore {
    pub kind: SessionKind,
    pub schema: Schema,
    pub container: Container,
    pub protocol: Protocol,
    /// The `{}` root.
    pub root: PathBuf,
    /// The manifest file (or `<json>` for manifests given as text).
    pub source: PathBuf,
    /// Keys the manifest has that the format does not (ignored, as the original did).
    pub warnings: Vec<String>,
}

/// Options for opening a session.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The `{}` root (else `MESSAGEAPI_ROOT`, else the manifest's directory).
    pub root: Option<PathBuf>,
    /// For session templates: the parameter map that `{_standard_}` names.
    pub standard: Option<PathBuf>,
}

struct Loader {
    root: PathBuf,
    template_dir: PathBuf,
    standard: Option<PathBuf>,
    cache: HashMap<PathBuf, Json>,
}

/// Opens a manifest file.
pub fn load_file(path: &Path, options: &OpenOptions) -> Result<SessionCore> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Io(format!("cannot read manifest {}: {e}", path.display())))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    load(&text, path.to_path_buf(), &dir, options)
}

/// Opens a manifest given as text; `base_dir` plays the manifest's directory.
pub fn load_text(
    text: &str,
    base_dir: Option<&Path>,
    options: &OpenOptions,
) -> Result<SessionCore> {
    let dir = match base_dir {
        Some(d) => d.to_path_buf(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    load(text, dir.join("<json>"), &dir, options)
}

fn load(text: &str, file: PathBuf, dir: &Path, options: &OpenOptions) -> Result<SessionCore> {
    crate::tune_allocator();
    crate::plugins::register_builtins();
    let root = paths::choose_root(options.root.as_deref(), dir);
    let value: Json = serde_json::from_str(text)
        .map_err(|e| Error::Manifest(format!("{}: not valid JSON: {e}", file.display())))?;
    let top = Node::new(value, Arc::new(file.clone()), String::new());
    let mut loader = Loader {
        root: root.clone(),
        template_dir: dir.to_path_buf(),
        standard: options.standard.clone(),
        cache: HashMap::new(),
    };
    let (kind, schema_n, container_n, protocol_n) = if top.get("plugin").is_some()
        && top.get("constructor").is_some()
    {
        let pnode = top.require("plugin")?;
        let pname = pnode.as_str()?;
        let kind = plugins::session(pname).ok_or_else(|| {
            pnode.locate(Error::UnknownPlugin(format!(
                "unknown session plugin \"{pname}\""
            )))
        })?;
        let c = top.require("constructor")?;
        let part = |role: &str| -> Result<Node> {
            let n = c.require(role)?;
            let p = n.require("plugin")?;
            let name = p.as_str()?;
            if !plugins::is_default_component(role, name) {
                return Err(p.locate(Error::UnknownPlugin(format!(
                    "unknown {role} plugin \"{name}\""
                ))));
            }
            Ok(n.get("constructor").unwrap_or_else(|| {
                Node::new(
                    Json::Object(Default::default()),
                    n.file.clone(),
                    n.key_path("constructor"),
                )
            }))
        };
        (kind, part("schema")?, part("container")?, part("protocol")?)
    } else if ["fields", "collections", "endpoints"]
        .iter()
        .any(|k| top.get(k).is_some())
    {
        (
            SessionKind::Sequential,
            top.clone(),
            top.clone(),
            top.clone(),
        )
    } else {
        return Err(top.error(
            "neither a full manifest (\"plugin\" and \"constructor\") nor a parameter map (\"fields\", \"collections\", \"endpoints\")",
        ));
    };

    // Keys the format does not have are ignored (compatibility) but reported.
    let mut warnings = Vec::new();
    if top.get("plugin").is_some() && top.get("constructor").is_some() {
        note_unknown(&top, &["plugin", "constructor"], &mut warnings);
        if let Some(c) = top.get("constructor") {
            note_unknown(&c, &["schema", "container", "protocol"], &mut warnings);
            for role in ["schema", "container", "protocol"] {
                if let Some(n) = c.get(role) {
                    note_unknown(&n, &["plugin", "constructor"], &mut warnings);
                }
            }
        }
        note_unknown(
            &schema_n,
            &["fields", "conditions", "metadata"],
            &mut warnings,
        );
        note_unknown(
            &container_n,
            &["collections", "transformations", "metadata"],
            &mut warnings,
        );
        note_unknown(&protocol_n, &["endpoints", "metadata"], &mut warnings);
    } else {
        note_unknown(
            &top,
            &[
                "fields",
                "conditions",
                "collections",
                "transformations",
                "endpoints",
                "metadata",
            ],
            &mut warnings,
        );
    }

    // Schema
    let fields_n = loader.required(&schema_n, "fields")?;
    note_unknown_each(
        &fields_n,
        &["id", "name", "type", "required", "value", "description"],
        &mut warnings,
    );
    let fields = schema::parse_fields(&fields_n)?;
    let layout = Layout::new(fields);
    let conditions = match loader.optional(&schema_n, "conditions")? {
        Some(n) if !n.value.is_null() => {
            note_unknown_each(
                &n,
                &[
                    "id",
                    "name",
                    "type",
                    "operator",
                    "field",
                    "value",
                    "constructor",
                    "conditions",
                    "description",
                ],
                &mut warnings,
            );
            schema::parse_conditions(&n, &layout, &ConditionEnv { root: &root })?
        }
        _ => crate::schema::condition::ConditionSet::default(),
    };
    let schema_meta = loader.optional(&schema_n, "metadata")?.map(|n| n.value);
    let conditions = Arc::new(conditions);

    // Container
    let coll_n = loader.required(&container_n, "collections")?;
    note_unknown_each(
        &coll_n,
        &[
            "id",
            "name",
            "fields",
            "classifiers",
            "conditions",
            "description",
        ],
        &mut warnings,
    );
    let collections = container::parse_collections(&coll_n, &layout, &conditions)?;
    let transformations = match loader.optional(&container_n, "transformations")? {
        Some(n) if !n.value.is_null() => {
            note_unknown_each(
                &n,
                &[
                    "id",
                    "name",
                    "operator",
                    "constructor",
                    "records",
                    "description",
                ],
                &mut warnings,
            );
            container::parse_transformations(&n, &collections, &root)?
        }
        _ => Vec::new(),
    };
    let container_meta = loader.optional(&container_n, "metadata")?.map(|n| n.value);
    let container = Container {
        collections,
        transformations,
        metadata: container_meta,
    };
    let schema = Schema {
        layout,
        conditions,
        metadata: schema_meta,
    };

    // Protocol
    let ep_n = loader.required(&protocol_n, "endpoints")?;
    let mut connections = Vec::new();
    let mut seen = HashSet::new();
    for ep in ep_n.elements()? {
        let plugin = ep.require("plugin")?;
        plugin.as_str()?;
        note_unknown(&ep, &["plugin", "connections"], &mut warnings);
        let conns = loader.required(&ep, "connections")?;
        note_unknown_each(
            &conns,
            &[
                "id",
                "name",
                "constructor",
                "collections",
                "classifiers",
                "transformations",
                "fields",
                "description",
            ],
            &mut warnings,
        );
        for c in conns.elements()? {
            connections.push(protocol::parse_connection(
                &c, &plugin, &container, &schema, &root, &mut seen,
            )?);
        }
    }
    let protocol_meta = loader.optional(&protocol_n, "metadata")?.map(|n| n.value);

    for w in &warnings {
        crate::log::debug(w);
    }
    Ok(SessionCore {
        warnings,
        kind,
        schema,
        container,
        protocol: Protocol {
            connections,
            metadata: protocol_meta,
        },
        root,
        source: file,
    })
}

/// Reports the members of an object node that are not in `allowed`.
fn note_unknown(node: &Node, allowed: &[&str], out: &mut Vec<String>) {
    if let Json::Object(m) = &node.value {
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                out.push(format!(
                    "{}: unknown key \"{k}\" (ignored)",
                    node.location()
                ));
            }
        }
    }
}

/// [`note_unknown`] for every element of a list node.
fn note_unknown_each(list: &Node, allowed: &[&str], out: &mut Vec<String>) {
    if let Ok(elements) = list.elements() {
        for e in &elements {
            note_unknown(e, allowed, out);
        }
    }
}

impl Loader {
    fn required(&mut self, parent: &Node, key: &str) -> Result<Node> {
        match self.optional(parent, key)? {
            Some(n) => Ok(n),
            None => Err(parent.error(format!("missing required key \"{key}\""))),
        }
    }

    /// The value of `key`: inline, or read from the file a path string names (its same-named
    /// key), or the `{"map": path, "factory": name}` form.
    fn optional(&mut self, parent: &Node, key: &str) -> Result<Option<Node>> {
        let Some(n) = parent.get(key) else {
            return Ok(None);
        };
        let target = match &n.value {
            Json::String(_) => n.clone(),
            Json::Object(m) if m.contains_key("map") => n.require("map")?,
            _ => return Ok(Some(n)),
        };
        let path = self.path_of(&target)?;
        let doc = self.read(&path).map_err(|e| target.locate(e))?;
        let file = Arc::new(path);
        match doc.get(key) {
            Some(v) => Ok(Some(Node::new(v.clone(), file, key.to_string()))),
            None => Err(Error::Manifest(format!(
                "{}: missing key \"{key}\" (named by {})",
                file.display(),
                target.location()
            ))),
        }
    }

    fn path_of(&self, n: &Node) -> Result<PathBuf> {
        let raw = n.as_str()?;
        let placeholder = |name: &str| raw.trim() == name;
        if placeholder("{_standard_}") {
            return self.standard.clone().ok_or_else(|| {
                n.error("\"{_standard_}\" is a session-template placeholder: open the template with a parameter map (OpenOptions::standard)")
            });
        }
        for (name, file) in [
            ("{_schema_metadata_}", "schema.json"),
            ("{_container_metadata_}", "container.json"),
            ("{_protocol_metadata_}", "protocol.json"),
        ] {
            if placeholder(name) {
                return Ok(self.template_dir.join(file));
            }
        }
        Ok(paths::resolve(raw, &self.root, n.dir()))
    }

    fn read(&mut self, path: &Path) -> Result<Json> {
        if let Some(v) = self.cache.get(path) {
            return Ok(v.clone());
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        let v: Json = serde_json::from_str(&text)
            .map_err(|e| Error::Manifest(format!("{}: not valid JSON: {e}", path.display())))?;
        self.cache.insert(path.to_path_buf(), v.clone());
        Ok(v)
    }
}
