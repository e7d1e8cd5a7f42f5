//! Process configuration, chosen by the host: how many worker threads the library may start,
//! how far that number may grow while workers are blocked, the stack each library thread
//! gets, the directories native code may be loaded from (`native-plugin-dirs`) and the
//! directories a manifest's or a record's paths must stay inside (`confine-paths`). Set with
//! [`configure`] before the first session opens; the environment (`MAPI_WORKERS`,
//! `MAPI_MAX_WORKERS`, `MAPI_STACK_BYTES`, `MAPI_NATIVE_PLUGIN_PATH`, `MAPI_CONFINE_PATHS`)
//! fills in what the host did not set. The first session (or the first use of the worker pool) fixes it for the life of the
//! process; a later [`configure`] is refused and changes nothing.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

/// The most worker threads that can be asked for.
pub(crate) const MAX_WORKERS: usize = 1024;
/// The smallest stack a library thread can be given (the library's own frames need it).
pub(crate) const MIN_STACK_BYTES: usize = 256 << 10;
/// The largest stack a library thread can be given.
pub(crate) const MAX_STACK_BYTES: usize = 1 << 30;
/// The default stack of a library thread: a callback can use at least 16 MiB of it. Address
/// space is reserved for all of it; only the pages a thread touches are committed.
pub(crate) const DEFAULT_STACK_BYTES: usize = 32 << 20;
/// The default ceiling on worker threads while some are blocked.
pub(crate) const DEFAULT_MAX_WORKERS: usize = 64;

/// What the host asks for; `None` leaves a setting to the environment, then the default.
///
/// ```
/// let asked = messageapi::Configuration { workers: Some(0), ..Default::default() };
/// assert_eq!(asked.workers, Some(0));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Configuration {
    /// Worker threads that run submits (`0`: none; each submit runs on the thread that calls
    /// it, before submit returns). Default: the number of cores, at most 4.
    pub workers: Option<usize>,
    /// How many worker threads there may be while some are blocked (a callback that sleeps, a
    /// broker wait): when every worker has been busy for 50 ms while work waits, one more is
    /// started, up to this many. Default: 64 (at least `workers`). Equal to `workers`: never
    /// more.
    pub max_workers: Option<usize>,
    /// The stack of each thread the library starts, in bytes. Default: 32 MiB.
    pub stack_bytes: Option<usize>,
    /// The directories a manifest may load native code from (a `native` plug-in's library,
    /// librdkafka's `plugin.library.paths` and `ssl.engine.location`): absolute paths. Default:
    /// none, so a manifest loads no native code. Callbacks the host registers itself need
    /// nothing.
    pub native_plugin_dirs: Option<Vec<PathBuf>>,
    /// The directories every path a manifest or a record names for the file-reader, the
    /// file-writer, dead-letter files, `${file:}` secrets and TLS files must resolve inside
    /// (after `..` and symbolic links): absolute paths. Default: none, nothing confined.
    pub confine_paths: Option<Vec<PathBuf>>,
}

/// What the host allows a manifest: fixed with the rest of the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Where native code may be loaded from (resolved: symbolic links followed); empty: nowhere.
    pub native_plugin_dirs: Vec<PathBuf>,
    /// Where paths must stay (resolved); `None`: anywhere.
    pub confine_paths: Option<Vec<PathBuf>>,
}

/// The configuration in effect: every setting decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    /// Worker threads that run submits (0: each submit runs on its caller's thread).
    pub workers: usize,
    /// The most worker threads while some are blocked.
    pub max_workers: usize,
    /// The stack of each thread the library starts, in bytes.
    pub stack_bytes: usize,
}

impl Effective {
    /// The thread settings as JSON (the keys [`configure_json`] takes).
    pub fn to_json(&self) -> Json {
        serde_json::json!({
            "workers": self.workers,
            "max-workers": self.max_workers,
            "stack-bytes": self.stack_bytes,
        })
    }
}

fn paths_json(paths: &[PathBuf]) -> Json {
    Json::Array(
        paths
            .iter()
            .map(|p| Json::String(p.to_string_lossy().into_owned()))
            .collect(),
    )
}

/// The whole configuration in effect as JSON, every key decided (what `mapi_configuration`
/// copies out); fixes it, as the first session's opening does.
pub fn configuration_json() -> Result<Json> {
    let mut json = effective()?.to_json();
    let p = policy();
    json["native-plugin-dirs"] = paths_json(&p.native_plugin_dirs);
    json["confine-paths"] = match &p.confine_paths {
        Some(c) => paths_json(c),
        None => Json::Null,
    };
    Ok(json)
}

impl Configuration {
    /// Reads the JSON object `mapi_configure` takes: `workers`, `max-workers`, `stack-bytes`,
    /// `native-plugin-dirs` and `confine-paths` (an absolute path or a list of them).
    /// Unknown keys and bad values are refused, naming them.
    pub fn from_json(text: &str) -> Result<Configuration> {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| Error::Json(format!("mapi_configure: not JSON: {e}")))?;
        let Json::Object(map) = json else {
            return Err(Error::Json(
                "mapi_configure: expected a JSON object of settings".into(),
            ));
        };
        Configuration::from_map(&map)
    }

    fn from_map(map: &Map<String, Json>) -> Result<Configuration> {
        let mut c = Configuration::default();
        for (key, value) in map {
            let source = format!("mapi_configure: \"{key}\"");
            match key.as_str() {
                "workers" => c.workers = Some(parse_workers(&source, value)?),
                "max-workers" => c.max_workers = Some(parse_workers(&source, value)?),
                "stack-bytes" => c.stack_bytes = Some(parse_stack_bytes(&source, value)?),
                "native-plugin-dirs" => c.native_plugin_dirs = Some(parse_dirs(&source, value)?),
                "confine-paths" => c.confine_paths = Some(parse_dirs(&source, value)?),
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "mapi_configure: unknown key \"{key}\" (the keys are workers, \
                         max-workers, stack-bytes, native-plugin-dirs and confine-paths)"
                    )))
                }
            }
        }
        if let (Some(w), Some(m)) = (c.workers, c.max_workers) {
            check_ceiling(w, m)?;
        }
        Ok(c)
    }

    /// Each setting of `other` that is set replaces this one's.
    fn merge(&mut self, other: &Configuration) {
        self.workers = other.workers.or(self.workers);
        self.max_workers = other.max_workers.or(self.max_workers);
        self.stack_bytes = other.stack_bytes.or(self.stack_bytes);
        if other.native_plugin_dirs.is_some() {
            self.native_plugin_dirs = other.native_plugin_dirs.clone();
        }
        if other.confine_paths.is_some() {
            self.confine_paths = other.confine_paths.clone();
        }
    }

    /// The host's directories, then the environment's (colon-separated), each resolved.
    fn decide_policy(&self, env: impl Fn(&str) -> Option<String>) -> Result<Policy> {
        let from_env = |name: &str| -> Result<Option<Vec<PathBuf>>> {
            match env(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => {
                    let list: Vec<Json> = v
                        .split(':')
                        .filter(|p| !p.is_empty())
                        .map(|p| Json::String(p.to_string()))
                        .collect();
                    // Only separators: as if unset.
                    if list.is_empty() {
                        return Ok(None);
                    }
                    parse_dirs(
                        &format!("the environment variable {name}"),
                        &Json::Array(list),
                    )
                    .map(Some)
                }
            }
        };
        let native = match &self.native_plugin_dirs {
            Some(d) => d.clone(),
            None => from_env("MAPI_NATIVE_PLUGIN_PATH")?.unwrap_or_default(),
        };
        let confine = match &self.confine_paths {
            Some(d) => Some(d.clone()),
            None => from_env("MAPI_CONFINE_PATHS")?,
        };
        Ok(Policy {
            native_plugin_dirs: native.iter().map(|d| resolved_dir(d)).collect(),
            confine_paths: confine.map(|c| c.iter().map(|d| resolved_dir(d)).collect()),
        })
    }

    /// The settings decided: the host's, then the environment's, then the defaults.
    fn decide(&self, env: impl Fn(&str) -> Option<String>) -> Result<Effective> {
        let from_env = |name: &str, parse: fn(&str, &Json) -> Result<usize>| {
            env(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    let value = match v.trim().parse::<i64>() {
                        Ok(i) => Json::from(i),
                        Err(_) => Json::String(v.trim().to_string()),
                    };
                    parse(&format!("the environment variable {name}"), &value)
                })
                .transpose()
        };
        let workers = match self.workers {
            Some(w) => w,
            None => from_env("MAPI_WORKERS", parse_workers)?.unwrap_or_else(default_workers),
        };
        let max_workers = match self.max_workers {
            Some(m) => m,
            None => from_env("MAPI_MAX_WORKERS", parse_workers)?
                .unwrap_or_else(|| DEFAULT_MAX_WORKERS.max(workers)),
        };
        check_ceiling(workers, max_workers)?;
        let stack_bytes = match self.stack_bytes {
            Some(s) => s,
            None => from_env("MAPI_STACK_BYTES", parse_stack_bytes)?.unwrap_or(DEFAULT_STACK_BYTES),
        };
        Ok(Effective {
            workers,
            max_workers,
            stack_bytes,
        })
    }
}

/// A directory as the host named it, with symbolic links resolved when it exists (a directory
/// that does not exist stays as named: nothing resolves inside it until it does).
fn resolved_dir(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// An absolute path, or a list of them.
fn parse_dirs(source: &str, value: &Json) -> Result<Vec<PathBuf>> {
    let bad = |what: &str| {
        Error::InvalidArgument(format!(
            "{source}: expected an absolute directory or a list of them, {what}"
        ))
    };
    let items: Vec<&Json> = match value {
        Json::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Json::String(text) = item else {
            return Err(bad(&format!("not {item}")));
        };
        let path = PathBuf::from(text);
        if !path.is_absolute() {
            return Err(bad(&format!("not the relative path \"{text}\"")));
        }
        out.push(path);
    }
    Ok(out)
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4))
}

fn check_ceiling(workers: usize, max_workers: usize) -> Result<()> {
    if max_workers < workers {
        return Err(Error::InvalidArgument(format!(
            "max-workers ({max_workers}) is below workers ({workers})"
        )));
    }
    Ok(())
}

fn parse_workers(source: &str, value: &Json) -> Result<usize> {
    value
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= MAX_WORKERS)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{source}: expected a number of threads from 0 to {MAX_WORKERS}, not {value}"
            ))
        })
}

/// A byte count: an integer, or a string with a K, M or G suffix (powers of 1024), rounded up
/// to whole pages.
fn parse_stack_bytes(source: &str, value: &Json) -> Result<usize> {
    let bad = || {
        Error::InvalidArgument(format!(
            "{source}: expected a number of bytes from {MIN_STACK_BYTES} to {MAX_STACK_BYTES} \
             (or a text such as \"64M\"), not {value}"
        ))
    };
    let n = match value {
        Json::Number(n) => n.as_u64().ok_or_else(bad)?,
        Json::String(s) => {
            let s = s.trim();
            let (digits, unit) = match s.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_uppercase()),
                _ => (s, ' '),
            };
            let shift = match unit {
                ' ' => 0,
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => return Err(bad()),
            };
            let d: u64 = digits.trim().parse().map_err(|_| bad())?;
            d.checked_shl(shift)
                .filter(|&v| v >> shift == d)
                .ok_or_else(bad)?
        }
        _ => return Err(bad()),
    };
    let n = usize::try_from(n).map_err(|_| bad())?;
    if !(MIN_STACK_BYTES..=MAX_STACK_BYTES).contains(&n) {
        return Err(bad());
    }
    Ok(n.div_ceil(4096) * 4096)
}

/// What the host set so far (before the configuration is fixed).
fn asked() -> &'static Mutex<Configuration> {
    static ASKED: OnceLock<Mutex<Configuration>> = OnceLock::new();
    ASKED.get_or_init(Mutex::default)
}

static EFFECTIVE: OnceLock<Effective> = OnceLock::new();
static POLICY: OnceLock<Policy> = OnceLock::new();

fn too_late() -> Error {
    Error::TooLate(
        "mapi_configure: the configuration is fixed once the first session has opened (or \
         the library has started its threads); call it first, before any session opens"
            .into(),
    )
}

/// Sets the settings `options` names (others keep what an earlier call set). Refused, and
/// nothing changed, once the configuration is fixed.
pub fn configure(options: &Configuration) -> Result<()> {
    let mut checked = options.clone();
    if let Some(w) = options.workers {
        parse_workers("workers", &Json::from(w as u64))?;
    }
    if let Some(m) = options.max_workers {
        parse_workers("max-workers", &Json::from(m as u64))?;
    }
    for (key, dirs) in [
        ("native-plugin-dirs", &options.native_plugin_dirs),
        ("confine-paths", &options.confine_paths),
    ] {
        if let Some(d) = dirs {
            let list = d
                .iter()
                .map(|p| Json::String(p.to_string_lossy().into_owned()))
                .collect();
            parse_dirs(key, &Json::Array(list))?;
        }
    }
    checked.stack_bytes = options
        .stack_bytes
        .map(|s| parse_stack_bytes("stack-bytes", &Json::from(s as u64)))
        .transpose()?;
    let mut asked = asked().lock().unwrap_or_else(|p| p.into_inner());
    if EFFECTIVE.get().is_some() {
        return Err(too_late());
    }
    let mut next = asked.clone();
    next.merge(&checked);
    if let (Some(w), Some(m)) = (next.workers, next.max_workers) {
        check_ceiling(w, m)?;
    }
    *asked = next;
    Ok(())
}

/// [`configure`] from the JSON object `mapi_configure` takes.
pub fn configure_json(text: &str) -> Result<()> {
    configure(&Configuration::from_json(text)?)
}

/// The configuration in effect, fixing it on first use (the host's settings, then the
/// environment's, then the defaults). An environment variable with a bad value is an error
/// naming it, and the configuration stays unfixed.
pub fn effective() -> Result<&'static Effective> {
    if let Some(e) = EFFECTIVE.get() {
        return Ok(e);
    }
    let asked = asked().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = EFFECTIVE.get() {
        return Ok(e);
    }
    let decided = asked.decide(|name| std::env::var(name).ok())?;
    let policy = asked.decide_policy(|name| std::env::var(name).ok())?;
    crate::runtime::fork::watch();
    let _ = POLICY.set(policy);
    Ok(EFFECTIVE.get_or_init(|| decided))
}

/// What the host allows manifests (native code, paths), fixing the configuration as
/// the first session does; when the environment is unreadable, nothing is allowed and nothing
/// confined is opened (the error is reported when a session opens).
pub fn policy() -> &'static Policy {
    if effective().is_err() {
        static REFUSE: OnceLock<Policy> = OnceLock::new();
        return REFUSE.get_or_init(|| Policy {
            native_plugin_dirs: Vec::new(),
            confine_paths: Some(Vec::new()),
        });
    }
    POLICY.get_or_init(Policy::default)
}

/// The configuration in effect (fixing it, as the first session's opening does): what the
/// host set, filled in from the environment and the defaults.
pub fn configuration() -> Result<Effective> {
    effective().copied()
}

/// The configuration in effect, or the defaults when the environment is unreadable (for code
/// that must go on: the error was reported when the session opened).
pub(crate) fn current() -> Effective {
    effective().copied().unwrap_or_else(|_| {
        Configuration::default()
            .decide(|_| None)
            .unwrap_or(Effective {
                workers: 2,
                max_workers: DEFAULT_MAX_WORKERS,
                stack_bytes: DEFAULT_STACK_BYTES,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(c: &Configuration, env: &[(&str, &str)]) -> Result<Effective> {
        c.decide(|name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn keys_values_and_the_environment() {
        let c = Configuration::from_json(r#"{"workers": 0, "stack-bytes": "64M"}"#).unwrap();
        assert_eq!(c.workers, Some(0));
        assert_eq!(c.stack_bytes, Some(64 << 20));
        let e = decide(&c, &[("MAPI_WORKERS", "3"), ("MAPI_STACK_BYTES", "1M")]).unwrap();
        // The host's settings win over the environment's.
        assert_eq!((e.workers, e.stack_bytes), (0, 64 << 20));
        assert_eq!(e.max_workers, DEFAULT_MAX_WORKERS);
        let e = decide(
            &Configuration::default(),
            &[("MAPI_WORKERS", "3"), ("MAPI_STACK_BYTES", "1M")],
        )
        .unwrap();
        assert_eq!((e.workers, e.stack_bytes), (3, 1 << 20));
        let e = decide(&Configuration::default(), &[]).unwrap();
        assert_eq!(e.stack_bytes, DEFAULT_STACK_BYTES);
        assert!((1..=4).contains(&e.workers));
        // Stacks are whole pages.
        let c = Configuration::from_json(r#"{"stack-bytes": 300001}"#).unwrap();
        assert_eq!(c.stack_bytes, Some(303104));
    }

    #[test]
    fn directories_from_the_host_then_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        let link = real.join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let env = |name: &str| match name {
            "MAPI_NATIVE_PLUGIN_PATH" => Some(format!("{}::/opt/none", link.display())),
            "MAPI_CONFINE_PATHS" => Some("/data/a:/data/b".to_string()),
            _ => None,
        };
        let p = Configuration::default().decide_policy(env).unwrap();
        // Symbolic links resolved; a directory that does not exist kept as named.
        assert_eq!(
            p.native_plugin_dirs,
            vec![real.clone(), PathBuf::from("/opt/none")]
        );
        assert_eq!(
            p.confine_paths,
            Some(vec![PathBuf::from("/data/a"), PathBuf::from("/data/b")])
        );
        // The host's settings win; an empty list allows nothing.
        let c = Configuration::from_json(r#"{"native-plugin-dirs": [], "confine-paths": "/x"}"#)
            .unwrap();
        let p = c.decide_policy(env).unwrap();
        assert!(p.native_plugin_dirs.is_empty());
        assert_eq!(p.confine_paths, Some(vec![PathBuf::from("/x")]));
        // Nothing set: nothing allowed, nothing confined.
        assert_eq!(
            Configuration::default().decide_policy(|_| None).unwrap(),
            Policy::default()
        );
        let e = Configuration::default()
            .decide_policy(|n| (n == "MAPI_CONFINE_PATHS").then(|| "data".to_string()))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("the environment variable MAPI_CONFINE_PATHS"),
            "{e}"
        );
    }

    #[test]
    fn refusals_name_the_key_and_the_value() {
        let err = |text: &str| Configuration::from_json(text).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"threads": 2}"#),
            "mapi_configure: unknown key \"threads\" (the keys are workers, max-workers, \
             stack-bytes, native-plugin-dirs and confine-paths)"
        );
        assert_eq!(
            err(r#"{"native-plugin-dirs": ["plugins"]}"#),
            "mapi_configure: \"native-plugin-dirs\": expected an absolute directory or a list \
             of them, not the relative path \"plugins\""
        );
        assert!(err(r#"{"confine-paths": 3}"#).contains("not 3"));
        assert_eq!(
            err(r#"{"workers": -1}"#),
            "mapi_configure: \"workers\": expected a number of threads from 0 to 1024, not -1"
        );
        assert!(err(r#"{"workers": "two"}"#).contains("not \"two\""));
        assert!(err(r#"{"stack-bytes": 1000}"#).contains("not 1000"));
        assert!(err(r#"{"stack-bytes": "12X"}"#).contains("not \"12X\""));
        assert_eq!(
            err(r#"{"workers": 8, "max-workers": 4}"#),
            "max-workers (4) is below workers (8)"
        );
        assert!(err("[1]").contains("expected a JSON object"));
        let e = decide(&Configuration::default(), &[("MAPI_WORKERS", "lots")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the environment variable MAPI_WORKERS: expected a number of threads from 0 to \
             1024, not \"lots\""
        );
    }
}
