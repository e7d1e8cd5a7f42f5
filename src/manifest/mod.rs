//! The manifest loader: the one place manifest JSON becomes the model. Reads the full form and
//! the parameter map, constructor values inline or as paths, `{}` root expansion,
//! session-template placeholders and plugin names (looked up in the registry), and reports
//! errors with their file and JSON location. Returns the session's core.

pub mod container;
pub mod node;
pub mod plugins;
pub mod protocol;
pub mod schema;
pub mod secrets;

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
pub use crate::session_core::{SessionCore, SessionKind};
use node::Node;
use schema::OpenEnv;

/// Options for opening a session.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The `{}` root (else `MESSAGEAPI_ROOT`, else the manifest's directory).
    pub root: Option<PathBuf>,
    /// For session templates: the parameter map that `{_standard_}` names.
    pub standard: Option<PathBuf>,
    /// A `dead-letters` entry (`{"plugin": ..., "constructor": ...}`) used instead of the
    /// manifest's (`mapi send --dead-letter PATH`).
    pub dead_letters: Option<Json>,
    /// Only check the manifest, as `mapi check` does: every part is read and every plug-in
    /// checks its constructor, but no native library is loaded, no `${env:}` or `${file:}`
    /// secret is read and nothing connects anywhere. The session describes itself; its
    /// requests reject what uses a library it did not load.
    pub check_only: bool,
}

struct Loader {
    root: PathBuf,
    template_dir: PathBuf,
    standard: Option<PathBuf>,
    cache: HashMap<PathBuf, Json>,
    /// Keys the manifest has that the format does not.
    warnings: Vec<String>,
    /// A dead-letters entry given by the caller, replacing the manifest's.
    dead_letters: Option<Json>,
    /// Only checking: plug-ins load no code, read no secret, connect nowhere.
    checking: bool,
    /// What checking could not check.
    unchecked: std::cell::RefCell<Vec<String>>,
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
    // The first session fixes the process configuration (threads, stacks).
    crate::runtime::config::effective()?;
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
        warnings: Vec::new(),
        dead_letters: options.dead_letters.clone(),
        checking: options.check_only,
        unchecked: Default::default(),
    };
    let parts = Parts::of(&top)?;
    parts.note_unknown_keys(&top, &mut loader.warnings);
    let schema = loader.schema(&parts.schema)?;
    let container = loader.container(&parts.container, &schema)?;
    let protocol = loader.protocol(&parts.protocol, &container, &schema)?;
    loader.warnings.extend(loader.unchecked.take());
    for w in &loader.warnings {
        crate::log::debug(w);
    }
    let stats = Arc::new(crate::stats::SessionStats::new(
        protocol
            .connections
            .iter()
            .map(|c| c.stats.clone())
            .collect(),
        protocol.dead_letter.as_ref().map(|c| c.stats.clone()),
    ));
    Ok(SessionCore {
        generation: crate::runtime::fork::generation(),
        checked_only: options.check_only,
        stats,
        warnings: loader.warnings,
        kind: parts.kind,
        schema,
        container,
        protocol,
        root,
        source: file,
    })
}

/// The session kind and the nodes holding the schema, container and protocol constructors (the
/// same top node for a parameter map).
struct Parts {
    kind: SessionKind,
    full: bool,
    schema: Node,
    container: Node,
    protocol: Node,
}

impl Parts {
    fn of(top: &Node) -> Result<Parts> {
        if top.get("plugin").is_some() && top.get("constructor").is_some() {
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
            Ok(Parts {
                kind,
                full: true,
                schema: part("schema")?,
                container: part("container")?,
                protocol: part("protocol")?,
            })
        } else if ["fields", "collections", "endpoints"]
            .iter()
            .any(|k| top.get(k).is_some())
        {
            Ok(Parts {
                kind: SessionKind::Sequential,
                full: false,
                schema: top.clone(),
                container: top.clone(),
                protocol: top.clone(),
            })
        } else {
            Err(top.error(
                "neither a full manifest (\"plugin\" and \"constructor\") nor a parameter map (\"fields\", \"collections\", \"endpoints\")",
            ))
        }
    }

    /// Keys the format does not have are ignored (compatibility) but reported.
    fn note_unknown_keys(&self, top: &Node, warnings: &mut Vec<String>) {
        if !self.full {
            note_unknown(
                top,
                &[
                    "fields",
                    "conditions",
                    "collections",
                    "transformations",
                    "endpoints",
                    "metadata",
                    "dead-letters",
                ],
                warnings,
            );
            return;
        }
        note_unknown(top, &["plugin", "constructor"], warnings);
        if let Some(c) = top.get("constructor") {
            note_unknown(&c, &["schema", "container", "protocol"], warnings);
            for role in ["schema", "container", "protocol"] {
                if let Some(n) = c.get(role) {
                    note_unknown(&n, &["plugin", "constructor"], warnings);
                }
            }
        }
        note_unknown(
            &self.schema,
            &["fields", "conditions", "metadata"],
            warnings,
        );
        note_unknown(
            &self.container,
            &["collections", "transformations", "metadata"],
            warnings,
        );
        note_unknown(
            &self.protocol,
            &["endpoints", "metadata", "dead-letters"],
            warnings,
        );
    }
}

impl Loader {
    fn env(&self) -> OpenEnv<'_> {
        OpenEnv {
            root: &self.root,
            checking: self.checking,
            unchecked: &self.unchecked,
        }
    }

    fn schema(&mut self, part: &Node) -> Result<Schema> {
        let fields_n = self.required(part, "fields")?;
        note_unknown_each(
            &fields_n,
            &["id", "name", "type", "required", "value", "description"],
            &mut self.warnings,
        );
        let layout = Layout::new(schema::parse_fields(&fields_n)?);
        let conditions = match self.optional(part, "conditions")? {
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
                    &mut self.warnings,
                );
                schema::parse_conditions(&n, &layout, &self.env())?
            }
            _ => crate::schema::condition::ConditionSet::default(),
        };
        let metadata = self.optional(part, "metadata")?.map(|n| n.value);
        Ok(Schema {
            layout,
            conditions: Arc::new(conditions),
            metadata,
        })
    }

    fn container(&mut self, part: &Node, schema: &Schema) -> Result<Container> {
        let coll_n = self.required(part, "collections")?;
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
            &mut self.warnings,
        );
        let collections =
            container::parse_collections(&coll_n, &schema.layout, &schema.conditions)?;
        let transformations = match self.optional(part, "transformations")? {
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
                    &mut self.warnings,
                );
                container::parse_transformations(&n, &collections, &self.env())?
            }
            _ => Vec::new(),
        };
        let metadata = self.optional(part, "metadata")?.map(|n| n.value);
        Ok(Container {
            collections,
            transformations,
            metadata,
        })
    }

    fn protocol(
        &mut self,
        part: &Node,
        container: &Container,
        schema: &Schema,
    ) -> Result<Protocol> {
        let ep_n = self.required(part, "endpoints")?;
        let mut connections = Vec::new();
        let mut seen = HashSet::new();
        for ep in ep_n.elements()? {
            let plugin = ep.require("plugin")?;
            plugin.as_str()?;
            note_unknown(&ep, &["plugin", "connections"], &mut self.warnings);
            let conns = self.required(&ep, "connections")?;
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
                &mut self.warnings,
            );
            for c in conns.elements()? {
                connections.push(protocol::parse_connection(
                    &c,
                    &plugin,
                    container,
                    schema,
                    &self.env(),
                    &mut seen,
                )?);
            }
        }
        let metadata = self.optional(part, "metadata")?.map(|n| n.value);
        let dead = match self.dead_letters.take() {
            Some(v) => Some(Node::new(
                v,
                Arc::new(PathBuf::from("<dead-letters option>")),
                "dead-letters".into(),
            )),
            None => self.optional(part, "dead-letters")?,
        };
        let dead_letter = match dead {
            None => None,
            Some(n) if n.value.is_null() => None,
            Some(n) => Some(self.dead_letter_connection(&n, container, schema, &mut seen)?),
        };
        Ok(Protocol {
            connections,
            metadata,
            dead_letter,
        })
    }

    /// The `dead-letters` entry: `{"plugin": SINK, "id": ID (default "dead-letters"),
    /// "constructor": {...}}`. A `kafka-producer` sink gets the Kafka Connect style value and
    /// headers unless its constructor says otherwise.
    fn dead_letter_connection(
        &mut self,
        n: &Node,
        container: &Container,
        schema: &Schema,
        seen: &mut HashSet<String>,
    ) -> Result<crate::protocol::ConnectionDef> {
        note_unknown(
            n,
            &["plugin", "id", "name", "constructor", "description"],
            &mut self.warnings,
        );
        let plugin = n.require("plugin")?;
        let name = plugins::endpoint(plugin.as_str()?).to_string();
        if matches!(
            name.as_str(),
            "kafka-consumer" | "file-reader" | "evaluation"
        ) {
            return Err(plugin.error(format!(
                "\"{name}\" cannot take dead letters: use a sink (file-writer, kafka-producer, a plug-in)"
            )));
        }
        let mut value = n.value.clone();
        let Json::Object(m) = &mut value else {
            return Err(n.error("expected an object with \"plugin\" and \"constructor\""));
        };
        if m.get("id").is_none() && m.get("name").is_none() {
            m.insert("id".into(), Json::String("dead-letters".into()));
        }
        if name == "kafka-producer" {
            if let Some(Json::Object(c)) = m.get_mut("constructor") {
                crate::dead_letter::kafka_defaults(c);
            }
        }
        let node = Node::new(value, n.file.clone(), n.path.clone());
        let mut def =
            protocol::parse_connection(&node, &plugin, container, schema, &self.env(), seen)?;
        def.dead_letters = true;
        Ok(def)
    }
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

/// The first cycle among `n` nodes whose edges `next` gives (composite conditions and their
/// children, transformations and the transformations they read), as the nodes along it with
/// the first repeated at the end.
fn find_cycle(n: usize, next: impl Fn(usize) -> Vec<usize>) -> Option<Vec<usize>> {
    // 0 = unvisited, 1 = on the current path, 2 = done. A depth-first walk with a stack of its
    // own: a manifest's nesting costs no call stack.
    let mut state = vec![0u8; n];
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        // (node, its successors, the next one to visit)
        let mut path: Vec<(usize, Vec<usize>, usize)> = vec![(start, next(start), 0)];
        state[start] = 1;
        while let Some((node, succ, k)) = path.last_mut() {
            if *k == succ.len() {
                state[*node] = 2;
                path.pop();
                continue;
            }
            let c = succ[*k];
            *k += 1;
            match state[c] {
                2 => {}
                1 => {
                    let from = path.iter().position(|(p, _, _)| *p == c).unwrap_or(0);
                    let mut cycle: Vec<usize> = path[from..].iter().map(|(p, _, _)| *p).collect();
                    cycle.push(c);
                    return Some(cycle);
                }
                _ => {
                    state[c] = 1;
                    path.push((c, next(c), 0));
                }
            }
        }
    }
    None
}
