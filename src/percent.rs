use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A share written the human way: "3%", "0.5 %", or a fraction such as 0.03. Kept as the
/// fraction (0.03); written back as "3%".
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Percent(f64);

impl Percent {
    /// A share in (0, 1): a CI half-width of 0% can never be reached, one of 100% says
    /// nothing.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let value = match trimmed.strip_suffix('%') {
            Some(number) => number.trim().parse::<f64>().map(|v| v / 100.0),
            None => trimmed.parse::<f64>(),
        };
        let value =
            value.map_err(|_| format!("\"{text}\" is not a percentage; write it like 3%"))?;
        Percent::of(value).map_err(|e| format!("\"{text}\": {e}"))
    }

    pub fn of(fraction: f64) -> Result<Self, String> {
        if fraction.is_finite() && fraction > 0.0 && fraction < 1.0 {
            Ok(Percent(fraction))
        } else {
            Err("must be between 0% and 100% (exclusive), e.g. 3%".into())
        }
    }

    /// The share as a fraction: 3% is 0.03.
    pub fn fraction(self) -> f64 {
        self.0
    }
}

impl FromStr for Percent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Percent::parse(s)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = self.0 * 100.0;
        if (pct - pct.round()).abs() < 1e-9 {
            write!(f, "{pct:.0}%")
        } else {
            write!(f, "{pct}%")
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// "3%" or a fraction (0.03), as a TOML file or env.json holds it.
#[derive(Deserialize)]
#[serde(untagged)]
enum Written {
    Text(String),
    Number(f64),
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Written::deserialize(d)? {
            Written::Text(text) => Percent::parse(&text).map_err(de::Error::custom),
            Written::Number(v) => Percent::of(v).map_err(de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_percentages_and_fractions_and_refuses_the_rest() {
        let cases = [
            ("3%", Some(0.03)),
            (" 2.5 % ", Some(0.025)),
            ("0.05", Some(0.05)),
            ("0%", None),
            ("100%", None),
            ("3", None),
            ("-1%", None),
            ("three", None),
        ];
        for (text, want) in cases {
            let got = Percent::parse(text).ok().map(Percent::fraction);
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-12, "{text}: {g}"),
                (g, w) => assert_eq!(g, w, "{text}"),
            }
        }
    }

    #[test]
    fn round_trips_as_text() {
        let p = Percent::parse("3%").unwrap();
        assert_eq!(p.to_string(), "3%");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"3%\"");
        assert_eq!(serde_json::from_str::<Percent>(&json).unwrap(), p);
        assert_eq!(serde_json::from_str::<Percent>("0.03").unwrap(), p);
        assert!(serde_json::from_str::<Percent>("\"0%\"").is_err());
    }
}
