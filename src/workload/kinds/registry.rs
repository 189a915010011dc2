//! The `kinds!` macro: from one line per kind, the `Params` enum and every dispatch over it.

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The fields a serde-derived struct takes, in declaration order (read off the list its
/// derived `Deserialize` hands to `deserialize_struct`).
pub(crate) fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// `kinds! { "name" => Variant(module::Type), ... }`: each type implements [`super::Kind`],
/// `Default` (its defaults) and serde (`deny_unknown_fields`).
macro_rules! kinds {
    ($($name:literal => $variant:ident($ty:ty),)+) => {
        /// A workload's kind and its parameters, validated.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "kind")]
        pub enum Params {
            $(#[serde(rename = $name)] $variant($ty),)+
        }

        /// Every kind's name, in the order messages list them.
        pub(crate) const NAMES: &[&str] = &[$($name),+];

        impl Params {
            /// The kind's name in workload files and result rows.
            pub(crate) fn kind(&self) -> &'static str {
                match self {
                    $(Params::$variant(_) => $name,)+
                }
            }

            pub(crate) fn as_kind(&self) -> &dyn Kind {
                match self {
                    $(Params::$variant(k) => k,)+
                }
            }

            /// A faithful miniature (or enlargement), see [`Scale`].
            pub(crate) fn scaled(&self, factor: f64) -> Params {
                let scale = Scale(factor);
                match self {
                    $(Params::$variant(k) => Params::$variant(k.scaled(scale)),)+
                }
            }

            /// Kind `name` with its default parameters; None when no kind has that name.
            pub(crate) fn default_of(name: &str) -> Option<Params> {
                match name {
                    $($name => Some(Params::$variant(<$ty>::default())),)+
                    _ => None,
                }
            }

            /// The fields kind `name` takes; None when no kind has that name.
            pub(crate) fn fields_of(name: &str) -> Option<&'static [&'static str]> {
                match name {
                    $($name => Some(registry::field_names::<$ty>()),)+
                    _ => None,
                }
            }

            /// Kind `name`'s parameters from `d`; None when no kind has that name.
            pub(crate) fn deserialize_kind<'de, D: serde::Deserializer<'de>>(
                name: &str,
                d: D,
            ) -> Option<Result<Params, D::Error>> {
                match name {
                    $($name => Some(
                        <$ty as serde::Deserialize>::deserialize(d).map(Params::$variant)
                    ),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use kinds;
