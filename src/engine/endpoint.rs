//! Where an engine answers: a Docker endpoint (`unix://`, `tcp://`, `ssh://`, `npipe://`), and
//! the `--engine NAME=ENDPOINT` argument that names one or a Docker context.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;

use super::error::EngineError;

/// The engine's socket when nothing else is said.
pub(crate) const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// Docker's port for plain (non-TLS) TCP.
pub(crate) const DEFAULT_TCP_PORT: u16 = 2375;

const SCHEMES: &str = "unix://, tcp://, ssh://, npipe://";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket on this machine.
    Unix(PathBuf),
    /// Plain HTTP over TCP (`tcp://` or `http://`).
    Tcp { host: String, port: u16 },
    /// The engine of another machine through `ssh` and `docker system dial-stdio`.
    Ssh {
        user: Option<String>,
        host: String,
        port: Option<u16>,
    },
    /// A Windows named pipe.
    Npipe(String),
}

/// How far away an endpoint is, as far as its address tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// A Unix socket or named pipe on this machine.
    LocalSocket,
    /// TCP or ssh to this machine's own loopback address.
    Loopback,
    /// TCP or ssh to another address.
    Network,
}

impl Endpoint {
    pub(crate) fn local_socket() -> Endpoint {
        Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET))
    }

    pub(crate) fn reach(&self) -> Reach {
        match self {
            Endpoint::Unix(_) | Endpoint::Npipe(_) => Reach::LocalSocket,
            Endpoint::Tcp { host, .. } | Endpoint::Ssh { host, .. } if is_loopback(host) => {
                Reach::Loopback
            }
            Endpoint::Tcp { .. } | Endpoint::Ssh { .. } => Reach::Network,
        }
    }
}

/// `localhost`, 127.0.0.0/8 or ::1.
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Endpoint::Ssh { user, host, port } => {
                write!(f, "ssh://")?;
                if let Some(user) = user {
                    write!(f, "{user}@")?;
                }
                write!(f, "{host}")?;
                match port {
                    Some(port) => write!(f, ":{port}"),
                    None => Ok(()),
                }
            }
            Endpoint::Npipe(pipe) => write!(f, "npipe://{pipe}"),
        }
    }
}

impl FromStr for Endpoint {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<Endpoint, EngineError> {
        let bad = |reason: &str| EngineError::malformed("endpoint", text, reason);
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(bad(&format!("not an endpoint (give one of {SCHEMES})")));
        };
        match scheme {
            "unix" if rest.starts_with('/') => Ok(Endpoint::Unix(PathBuf::from(rest))),
            "unix" => Err(bad("the socket's path must be absolute (unix:///path)")),
            "tcp" | "http" => {
                let (host, port) = host_port(authority(rest).map_err(|r| bad(&r))?)
                    .map_err(|r| bad(&r))?;
                let port = port.unwrap_or(DEFAULT_TCP_PORT);
                Ok(Endpoint::Tcp { host, port })
            }
            "ssh" => {
                let authority = authority(rest).map_err(|r| bad(&r))?;
                let (user, hostport) = match authority.split_once('@') {
                    Some((user, hp)) if !user.is_empty() => (Some(user.to_string()), hp),
                    Some(_) => return Err(bad("empty user before @")),
                    None => (None, authority),
                };
                let (host, port) = host_port(hostport).map_err(|r| bad(&r))?;
                Ok(Endpoint::Ssh { user, host, port })
            }
            "npipe" if !rest.is_empty() => Ok(Endpoint::Npipe(rest.to_string())),
            "npipe" => Err(bad("no pipe named")),
            "https" => Err(EngineError::Unsupported {
                endpoint: text.to_string(),
                reason: "TLS endpoints are not supported yet; reach the engine over ssh:// or a Unix socket".into(),
            }),
            other => Err(bad(&format!("unknown scheme `{other}` (give one of {SCHEMES})"))),
        }
    }
}

/// The `host[:port]` part of `scheme://host[:port][/]`.
fn authority(rest: &str) -> Result<&str, String> {
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('/') {
        return Err("a path after the address is not supported".into());
    }
    Ok(authority)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (inside, after) = v6.split_once(']').ok_or("unclosed [ in the address")?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after ]")?),
        };
        (format!("[{inside}]"), port)
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (text.to_string(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err("no host".into());
    }
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or(format!("`{p}` is not a port"))?,
        ),
        None => None,
    };
    Ok((host, port))
}

/// An engine as named on the command line: `NAME=ENDPOINT` or `NAME=CONTEXT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineArg {
    pub name: String,
    pub(crate) location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Endpoint(Endpoint),
    /// A Docker context, found in the Docker config when resolved.
    Context(String),
}

impl FromStr for EngineArg {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<EngineArg, EngineError> {
        let bad = |reason: &str| EngineError::malformed("--engine", text, reason);
        let Some((name, location)) = text.split_once('=') else {
            return Err(bad("give NAME=ENDPOINT (an endpoint like unix:///var/run/docker.sock or tcp://HOST:PORT, or a Docker context name)"));
        };
        if !is_name(name, 40, "_.-") {
            return Err(bad("the name must be 1-40 letters, digits, `.`, `_` or `-`, starting with a letter or digit"));
        }
        let location = if location.contains("://") {
            Location::Endpoint(location.parse()?)
        } else if is_name(location, 200, "_.+-") {
            Location::Context(location.to_string())
        } else {
            return Err(bad(&format!(
                "`{location}` is neither an endpoint ({SCHEMES}) nor a Docker context name"
            )));
        };
        Ok(EngineArg {
            name: name.to_string(),
            location,
        })
    }
}

/// ASCII letters and digits plus `extra`, starting with a letter or digit, at most `max` long.
fn is_name(text: &str, max: usize, extra: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && text.len() <= max
        && chars.all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Endpoint {
        Endpoint::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn parses_endpoints() {
        let ssh = |user: Option<&str>, host: &str, port| Endpoint::Ssh {
            user: user.map(String::from),
            host: host.into(),
            port,
        };
        let cases = [
            (
                "unix:///var/run/docker.sock",
                Endpoint::local_socket(),
                Reach::LocalSocket,
            ),
            (
                "tcp://127.0.0.1:23750",
                tcp("127.0.0.1", 23750),
                Reach::Loopback,
            ),
            ("tcp://localhost", tcp("localhost", 2375), Reach::Loopback),
            (
                "http://10.0.0.5:2375/",
                tcp("10.0.0.5", 2375),
                Reach::Network,
            ),
            ("tcp://[::1]:2375", tcp("[::1]", 2375), Reach::Loopback),
            ("tcp://[fd00::5]", tcp("[fd00::5]", 2375), Reach::Network),
            (
                "ssh://me@box.lan",
                ssh(Some("me"), "box.lan", None),
                Reach::Network,
            ),
            (
                "ssh://box:2222",
                ssh(None, "box", Some(2222)),
                Reach::Network,
            ),
            (
                "ssh://me@localhost",
                ssh(Some("me"), "localhost", None),
                Reach::Loopback,
            ),
            (
                "npipe:////./pipe/docker_engine",
                Endpoint::Npipe("//./pipe/docker_engine".into()),
                Reach::LocalSocket,
            ),
        ];
        for (text, want, reach) in cases {
            let got: Endpoint = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(got, want, "{text}");
            assert_eq!(got.reach(), reach, "{text}");
            assert_eq!(
                got.to_string().parse::<Endpoint>().unwrap(),
                got,
                "{text} round trip"
            );
        }
    }

    #[test]
    fn refuses_bad_endpoints() {
        let cases = [
            ("/var/run/docker.sock", "not an endpoint"),
            ("unix://docker.sock", "absolute"),
            ("tcp://", "no host"),
            ("tcp://host:99999", "not a port"),
            ("tcp://host:0", "not a port"),
            ("tcp://host:2375/v1.41", "path"),
            ("tcp://[::1", "unclosed"),
            ("ssh://@box", "empty user"),
            ("npipe://", "no pipe"),
            ("ftp://box", "unknown scheme `ftp`"),
            ("https://box:2376", "TLS"),
        ];
        for (text, why) in cases {
            let err = text.parse::<Endpoint>().expect_err(text).to_string();
            assert!(err.contains(why), "{text}: {err}");
            assert_eq!(text.parse::<Endpoint>().unwrap_err().exit_code(), 2);
        }
    }

    #[test]
    fn parses_engine_args() {
        let cases = [
            (
                "local=unix:///var/run/docker.sock",
                "local",
                Location::Endpoint(Endpoint::local_socket()),
            ),
            (
                "vm=tcp://127.0.0.1:23750",
                "vm",
                Location::Endpoint(tcp("127.0.0.1", 23750)),
            ),
            (
                "mac=desktop-linux",
                "mac",
                Location::Context("desktop-linux".into()),
            ),
            ("o.1=orbstack", "o.1", Location::Context("orbstack".into())),
        ];
        for (text, name, location) in cases {
            let arg: EngineArg = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                arg,
                EngineArg {
                    name: name.into(),
                    location
                },
                "{text}"
            );
        }
        let bad = [
            ("unix:///var/run/docker.sock", "NAME=ENDPOINT"),
            ("=tcp://h:1", "the name"),
            ("a b=tcp://h:1", "the name"),
            ("x=", "neither"),
            ("x=some/thing", "neither"),
            ("x=tcp://h:port", "not a port"),
        ];
        for (text, why) in bad {
            let err = text.parse::<EngineArg>().expect_err(text);
            assert!(err.to_string().contains(why), "{text}: {err}");
            assert_eq!(err.exit_code(), 2, "{text}");
        }
    }
}
