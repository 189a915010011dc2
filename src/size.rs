use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A byte count written the human way in workload files: "256MiB", "110 KiB", "1.5GiB" or a
/// plain integer number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.starts_with('-') {
            return Err(format!("size \"{text}\" is negative"));
        }
        let config = parse_size::Config::new();
        config.parse_size(trimmed).map(ByteSize).map_err(|e| {
            format!("invalid size \"{text}\" ({e}); write a number and a unit like 256MiB, 110KiB or 4GiB")
        })
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 4] = [
            ("TiB", 1 << 40),
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ];
        for (unit, scale) in UNITS {
            if self.0 >= scale && self.0 % scale == 0 {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        for (unit, scale) in UNITS {
            if self.0 >= scale {
                return write!(f, "{:.1}{unit}", self.0 as f64 / scale as f64);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size like \"256MiB\" or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                ByteSize::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom(format!("size {v} is negative")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ByteSize, E> {
                Err(E::custom(format!(
                    "size {v} has no unit; write it like \"{v}MiB\""
                )))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_human_sizes() {
        let cases = [
            ("256MiB", Some(256 << 20)),
            ("110 KiB", Some(110 << 10)),
            ("1.5GiB", Some(3 << 29)),
            ("4096", Some(4096)),
            ("1MB", Some(1_000_000)),
            ("12 parsecs", None),
            ("-5MiB", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(ByteSize::parse(text).ok().map(|b| b.0), want, "{text}");
        }
    }

    #[test]
    fn displays_round_units() {
        assert_eq!(ByteSize(256 << 20).to_string(), "256MiB");
        assert_eq!(ByteSize(1536).to_string(), "1.5KiB");
        assert_eq!(ByteSize(12).to_string(), "12B");
    }
}
