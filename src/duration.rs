use std::fmt;
use std::time::Duration;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A duration written the human way in workload files: "20ms", "1.5s", "250us".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.starts_with('-') {
            return Err(format!("duration \"{text}\" is negative"));
        }
        humantime::parse_duration(trimmed)
            .map(HumanDuration)
            .map_err(|e| {
                format!("invalid duration \"{text}\" ({e}); write a number and a unit like 20ms, 250us or 1.5s")
            })
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        HumanDuration::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_write_and_refuses_the_rest() {
        let cases = [
            ("20ms", Some(Duration::from_millis(20))),
            ("250us", Some(Duration::from_micros(250))),
            ("1s 500ms", Some(Duration::from_millis(1500))),
            ("0s", Some(Duration::ZERO)),
            ("-5ms", None),
            ("12 parsecs", None),
            ("20", None),
        ];
        for (text, want) in cases {
            assert_eq!(HumanDuration::parse(text).ok().map(|d| d.0), want, "{text}");
        }
    }
}
