//! Serde for `autosurgeon::Text`: a collaborative text reads and writes as a plain string.

use autosurgeon::Text;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(text: &Text, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(text.as_str())
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
    String::deserialize(deserializer).map(Text::with_value)
}
