//! Optional persistence of the emulator's state to one JSON file ([`crate::EmulatorConfig`]'s
//! `state_file`), so a demo restarted keeps its accounts, customers, cards, intents and events.
//!
//! The whole store is written after every request that changed it, under the state lock (so
//! writes never interleave or go back in time), to a temporary file renamed over the old one: a
//! crash mid-write leaves the previous state, never half a file. Demo stores are small; tests
//! leave persistence off and stay in memory.
//!
//! Not kept: webhook deliveries in flight (an event still pending at shutdown is not sent again),
//! the request log and armed faults.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::state::{Store, lock};

/// Bumped when the file's shape changes incompatibly; an unknown version is refused.
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct FileOut<'a> {
    version: u32,
    store: &'a Store,
}

#[derive(Deserialize)]
struct FileIn {
    version: u32,
    store: Store,
}

/// The saved store, or an empty one when the file does not exist yet.
///
/// # Errors
/// When the file cannot be read or is not a state file of this version: starting over silently
/// would lose the demo's data, so the caller decides.
pub(crate) fn load(path: &Path) -> std::io::Result<Store> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Store::default()),
        Err(e) => return Err(e),
    };
    let file: FileIn = serde_json::from_slice(&bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: not a Stripe emulator state file: {e}", path.display()),
        )
    })?;
    if file.version != FORMAT_VERSION {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{}: state file version {} (this emulator reads {FORMAT_VERSION})",
                path.display(),
                file.version
            ),
        ));
    }
    Ok(file.store)
}

/// Writes the store atomically: a temporary file beside `path`, flushed, then renamed over it.
pub(crate) fn save(path: &Path, store: &Store) -> std::io::Result<()> {
    let json = serde_json::to_vec(&FileOut {
        version: FORMAT_VERSION,
        store,
    })
    .map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(path);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(&json)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// `&'static str` under another name, for fields persisted with [`static_str`] or
/// [`static_str_opt`]: serde's derive takes a field spelled `&'static str` for a string borrowed
/// from the input, and the whole object would then only deserialize from `'static` data.
pub(crate) type StaticStr = &'static str;

/// The one `&'static str` for a string read back from the file. Objects keep statuses and
/// card details as `&'static str`; each distinct value is allocated once for the process, so
/// memory stays bounded by the handful of distinct values.
fn intern(s: String) -> &'static str {
    static POOL: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut pool = lock(POOL.get_or_init(Mutex::default));
    if let Some(known) = pool.get(s.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(s.into_boxed_str());
    pool.insert(leaked);
    leaked
}

/// `#[serde(with = "crate::persist::static_str")]` for `&'static str` fields.
pub(crate) mod static_str {
    use super::{Deserialize, Deserializer, Serializer, intern};

    pub(crate) fn serialize<S: Serializer>(value: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        String::deserialize(d).map(intern)
    }
}

/// `#[serde(with = "crate::persist::static_str_opt")]` for `Option<&'static str>` fields.
pub(crate) mod static_str_opt {
    use super::{Deserialize, Deserializer, Serialize, Serializer, intern};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<&'static str>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<&'static str>, D::Error> {
        Option::<String>::deserialize(d).map(|v| v.map(intern))
    }
}

/// A PaymentMethod's test card, kept as its number and found again in the card table.
pub(crate) mod test_card {
    use super::{Deserialize, Deserializer, Serializer};
    use crate::cards::{TestCard, test_card};

    pub(crate) fn serialize<S: Serializer>(
        card: &&'static TestCard,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(card.number)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<&'static TestCard, D::Error> {
        let number = String::deserialize(d)?;
        test_card(&number)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown test card {number}")))
    }
}

/// An HTTP status as its number.
pub(crate) mod status_code {
    use super::{Deserialize, Deserializer, Serializer};
    use axum::http::StatusCode;

    pub(crate) fn serialize<S: Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(status.as_u16())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<StatusCode, D::Error> {
        StatusCode::from_u16(u16::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
